package osprey.kernel;

/** A prompt (or a prompt plus what must be generated) does not fit the context window. Never truncated silently. */
public final class ContextOverflowException extends RuntimeException {
    public ContextOverflowException(String message) {
        super(message);
    }
}
