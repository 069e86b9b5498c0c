package osprey.models.gguf;

import java.nio.file.Path;

/**
 * A GGUF file that cannot be read: the message names the file, the problem, and the byte offset where
 * it was found, so that a user can tell a truncated download from an unsupported feature.
 */
public final class GgufFormatException extends RuntimeException {
    private final long offset;

    public GgufFormatException(Path file, long offset, String problem) {
        super(file + ": " + problem + (offset >= 0 ? " (at byte offset " + offset + ")" : ""));
        this.offset = offset;
    }

    /** Byte offset in the file where the problem was found, or -1 when it is not about one place. */
    public long offset() {
        return offset;
    }
}
