package osprey.tokenizer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns generated tokens into text as they arrive. A character outside ASCII may come as several byte tokens
 * ({@code <0xF0><0x9F><0xA6><0x99>} is one emoji), so bytes that may still become a character are held back
 * until it is complete; bytes that can no longer become one are given as U+FFFD.
 *
 * <p>Like llama2.c, the space that starts the first piece after BOS is dropped: it is the SentencePiece dummy
 * prefix, not part of the text, so a story reads "Once upon a time", not " Once upon a time".
 *
 * <p>Not thread-safe: one decoder per sequence.
 */
public final class StreamingDecoder {
    private final SentencePieceTokenizer tokenizer;
    // Java's decoder already does what is needed: with endOfInput false it leaves an incomplete sequence in the
    // input, and it replaces a malformed one as soon as a byte rules it out.
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    private ByteBuffer pending = ByteBuffer.allocate(16); // bytes not yet given out, in write mode
    private int previous = -1;

    public StreamingDecoder(SentencePieceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Takes the next token; returns the text it completes (often empty while a character is unfinished). */
    public String accept(int id) {
        Vocabulary vocab = tokenizer.vocabulary();
        byte[] piece = tokenizer.tokenBytes(id);
        int from = 0;
        if (previous >= 0 && previous == vocab.bosId() && vocab.type(id) != TokenType.BYTE
                && piece.length > 0 && piece[0] == ' ') {
            from = 1;
        }
        previous = id;
        append(piece, from);
        return decode(false);
    }

    /** Gives out what is still held back (an unfinished character becomes U+FFFD). Call at the end. */
    public String flush() {
        String text = decode(true);
        utf8.reset();
        return text;
    }

    private void append(byte[] piece, int from) {
        int count = piece.length - from;
        if (pending.remaining() < count) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(pending.capacity() * 2, pending.position() + count));
            pending.flip();
            bigger.put(pending);
            pending = bigger;
        }
        pending.put(piece, from, count);
    }

    private String decode(boolean endOfInput) {
        pending.flip();
        // One char per byte at most: a 4-byte character is 2 chars, each bad byte at most 1 U+FFFD.
        CharBuffer out = CharBuffer.allocate(pending.remaining());
        utf8.decode(pending, out, endOfInput);
        if (endOfInput) {
            utf8.flush(out);
        }
        pending.compact();
        return out.flip().toString();
    }
}
