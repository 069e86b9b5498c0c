package osprey.tokenizer;

/**
 * The 256 byte-fallback tokens {@code <0x00>}..{@code <0xFF>}: how SentencePiece spells any byte that no
 * learned piece covers, so that every string can be encoded without an unknown token.
 */
final class ByteTokens {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private ByteTokens() {}

    /** The token text for one byte; upper-case hex, as SentencePiece writes it. */
    static String name(int b) {
        return "<0x" + HEX[(b >> 4) & 15] + HEX[b & 15] + ">";
    }

    /** The byte a {@code <0xXX>} token stands for, or -1 if the text is not one. */
    static int parse(String token) {
        if (token.length() != 6 || !token.startsWith("<0x") || token.charAt(5) != '>') {
            return -1;
        }
        int hi = hexDigit(token.charAt(3));
        int lo = hexDigit(token.charAt(4));
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    // ASCII only: Character.digit would also accept full-width and other Unicode digits.
    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    }
}
