package osprey.tokenizer;

/**
 * The kinds of token, numbered as in GGUF's {@code tokenizer.ggml.token_type} array (and SentencePiece's
 * piece types). The kind decides how a token is parsed out of text and how it is rendered back.
 */
public final class TokenType {
    /** A piece of text learned by the tokenizer; '▁' in it stands for a space. */
    public static final int NORMAL = 1;
    /** The unknown token ({@code <unk>}). Rendered as nothing, like a control token. */
    public static final int UNKNOWN = 2;
    /** BOS, EOS, chat markers: never produced by merging text; rendered as nothing. */
    public static final int CONTROL = 3;
    /** Added by the model's authors; always split out of text and rendered as its own text. */
    public static final int USER_DEFINED = 4;
    /** Reserved slots. Rendered as nothing. */
    public static final int UNUSED = 5;
    /** {@code <0xXX>}: one raw byte, the fallback for text no other token covers. */
    public static final int BYTE = 6;

    private TokenType() {}
}
