package osprey.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.PriorityQueue;
import java.util.stream.IntStream;

/**
 * The SentencePiece-style BPE of Llama 1/2, Mistral, Phi-3 and TinyLlama (GGUF {@code tokenizer.ggml.model}
 * = {@code llama}), token for token the same as llama.cpp's {@code llm_tokenizer_spm}.
 *
 * <p>Encoding: spaces become '▁'; the text is cut into characters; then, again and again, the adjacent pair
 * whose concatenation is the highest-scoring token is merged (on a tie, the leftmost). What is left that is
 * not a token is spelled as byte tokens {@code <0xXX>}.
 */
public final class SentencePieceTokenizer {
    private static final char SPACE = '▁'; // U+2581, SentencePiece's visible stand-in for ' '
    private static final byte[] EMPTY = {};

    private final Vocabulary vocab;
    private final SpecialTokens specialTokens;
    private final int[] byteIds;      // byte value -> its fallback token, or -1
    private final byte[][] pieces;    // id -> the bytes decode() writes for it

    public SentencePieceTokenizer(Vocabulary vocab) {
        this.vocab = vocab;
        this.specialTokens = new SpecialTokens(vocab);
        this.byteIds = new int[256];
        for (int b = 0; b < 256; b++) {
            int id = vocab.id(ByteTokens.name(b));
            // llama.cpp falls back to the byte as a one-character token; only meaningful for ASCII.
            byteIds[b] = id >= 0 || b >= 0x80 ? id : vocab.id(String.valueOf((char) b));
        }
        this.pieces = new byte[vocab.size()][];
        for (int id = 0; id < vocab.size(); id++) {
            pieces[id] = render(id, false);
        }
    }

    public Vocabulary vocabulary() {
        return vocab;
    }

    /**
     * Encodes text as llama.cpp's {@code llama_tokenize} does for an SPM vocabulary.
     *
     * @param addBos       put the vocabulary's BOS first (never EOS: appending that is the caller's choice)
     * @param parseSpecial whether control tokens written in the text ({@code <s>}, {@code <|user|>}) become
     *                     their ids; user-defined tokens are always recognised, as in llama.cpp
     */
    public int[] encode(String text, boolean addBos, boolean parseSpecial) {
        IntStream.Builder out = IntStream.builder();
        if (addBos) {
            if (vocab.bosId() < 0) {
                throw new IllegalStateException("addBos is set but the vocabulary has no BOS token");
            }
            out.add(vocab.bosId());
        }
        // llama.cpp prefixes the space to the first text fragment AND to every fragment that follows a special
        // token: "<|user|>Hi" gives <|user|> ▁Hi, just as "Hi" alone gives ▁Hi.
        boolean afterSpecial = true;
        for (SpecialTokens.Fragment fragment : specialTokens.split(text, parseSpecial)) {
            if (fragment.isText()) {
                String s = vocab.addSpacePrefix() && afterSpecial ? " " + fragment.text() : fragment.text();
                encodeText(s.replace(' ', SPACE), out);
                afterSpecial = false;
            } else {
                out.add(fragment.token());
                afterSpecial = true;
            }
        }
        return out.build().toArray();
    }

    /** One adjacent pair that could merge into a token; {@code length} (in chars) detects stale entries. */
    private record Bigram(int left, int right, float score, int length) {}

    // Highest score first, ties to the leftmost. Written with > and == rather than Float.compare so that
    // 0.0 and -0.0 tie, as they do in llama.cpp's C++ comparator.
    private static int order(Bigram a, Bigram b) {
        if (a.score > b.score) return -1;
        if (a.score < b.score) return 1;
        return Integer.compare(a.left, b.left);
    }

    /**
     * Merges one text fragment (spaces already escaped). The symbols are a doubly linked list over the text's
     * characters; a merge folds the right symbol into the left one, and only the two pairs that touch the new
     * symbol need to be looked up again. Queued pairs made stale by an earlier merge are skipped when popped.
     */
    private void encodeText(String text, IntStream.Builder out) {
        int n = text.codePointCount(0, text.length());
        if (n == 0) {
            return;
        }
        int[] start = new int[n];  // (n) char offset of each symbol in text
        int[] length = new int[n]; // (n) its length in chars; 0 once merged into its left neighbour
        int[] prev = new int[n];   // (n) linked list of live symbols, -1 at the ends
        int[] next = new int[n];
        for (int i = 0, offset = 0; i < n; i++) {
            start[i] = offset;
            length[i] = Character.charCount(text.codePointAt(offset));
            offset += length[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }

        PriorityQueue<Bigram> queue = new PriorityQueue<>(Math.max(1, n), SentencePieceTokenizer::order);
        for (int i = 1; i < n; i++) {
            offer(queue, text, start, length, i - 1, i);
        }
        while (!queue.isEmpty()) {
            Bigram bigram = queue.poll();
            int left = bigram.left, right = bigram.right;
            if (length[left] == 0 || length[right] == 0 || length[left] + length[right] != bigram.length) {
                continue;
            }
            length[left] += length[right];
            length[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) {
                prev[next[right]] = left;
            }
            offer(queue, text, start, length, prev[left], left);
            offer(queue, text, start, length, left, next[left]);
        }

        for (int i = 0; i != -1; i = next[i]) {
            emit(text.substring(start[i], start[i] + length[i]), out);
        }
    }

    private void offer(PriorityQueue<Bigram> queue, String text, int[] start, int[] length, int left, int right) {
        if (left < 0 || right < 0) {
            return;
        }
        int merged = length[left] + length[right];
        int id = vocab.id(text.substring(start[left], start[left] + merged));
        if (id >= 0) {
            queue.add(new Bigram(left, right, vocab.score(id), merged));
        }
    }

    /** A final symbol: its token, or else its UTF-8 bytes as byte tokens, or else one unknown token. */
    private void emit(String symbol, IntStream.Builder out) {
        int id = vocab.id(symbol);
        if (id >= 0) {
            out.add(id);
            return;
        }
        byte[] bytes = symbol.getBytes(StandardCharsets.UTF_8);
        boolean allBytesCovered = true;
        for (byte b : bytes) {
            allBytesCovered &= byteIds[b & 0xFF] >= 0;
        }
        if (allBytesCovered) {
            for (byte b : bytes) {
                out.add(byteIds[b & 0xFF]);
            }
        } else if (vocab.unkId() >= 0) {
            out.add(vocab.unkId());
        } else {
            throw new IllegalStateException("cannot encode " + symbol.codePoints()
                    .mapToObj(cp -> String.format("U+%04X", cp)).toList()
                    + ": the vocabulary has neither byte tokens for it nor an unknown token");
        }
    }

    /**
     * The bytes one token stands for, as llama.cpp's {@code token_to_piece} renders it: '▁' becomes ' ',
     * {@code <0xXX>} the raw byte, a user-defined token its text; control, unknown and unused tokens nothing.
     * A byte token may be part of a multi-byte character: join bytes before decoding them as UTF-8.
     */
    public byte[] tokenBytes(int id) {
        return pieces[id].clone();
    }

    /** As {@link #tokenBytes(int)}, but with {@code renderSpecial} control and unknown tokens give their text. */
    public byte[] tokenBytes(int id, boolean renderSpecial) {
        return renderSpecial ? render(id, true) : tokenBytes(id);
    }

    /**
     * The text of a token sequence. Control tokens vanish, and the space that encoding put in front of the text
     * (the dummy prefix) is taken off the first piece, as SentencePiece does, so that
     * {@code decode(encode(s, false, false))} gives back {@code s} for any text the vocabulary covers.
     * (llama.cpp keeps that space when the sequence starts with BOS; we take it off either way.)
     * Bytes that are not valid UTF-8 come out as U+FFFD.
     */
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean first = true;
        for (int id : ids) {
            byte[] piece = pieces[id];
            if (piece.length == 0) {
                continue;
            }
            int from = first && vocab.addSpacePrefix() && startsWithPrefixSpace(id) ? 1 : 0;
            bytes.write(piece, from, piece.length - from);
            first = false;
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Whether the token's text begins with the '▁' that stands for a leading space (a byte token never does). */
    private boolean startsWithPrefixSpace(int id) {
        int type = vocab.type(id);
        return (type == TokenType.NORMAL) && pieces[id].length > 0 && pieces[id][0] == ' ';
    }

    private byte[] render(int id, boolean renderSpecial) {
        String token = vocab.token(id);
        return switch (vocab.type(id)) {
            case TokenType.NORMAL -> token.replace(SPACE, ' ').getBytes(StandardCharsets.UTF_8);
            case TokenType.BYTE -> {
                int b = ByteTokens.parse(token);
                yield b >= 0 ? new byte[] {(byte) b} : token.getBytes(StandardCharsets.UTF_8);
            }
            case TokenType.USER_DEFINED -> token.getBytes(StandardCharsets.UTF_8);
            case TokenType.CONTROL, TokenType.UNKNOWN -> renderSpecial ? token.getBytes(StandardCharsets.UTF_8) : EMPTY;
            default -> EMPTY; // UNUSED and types llama.cpp does not know: suppressed like control tokens
        };
    }
}
