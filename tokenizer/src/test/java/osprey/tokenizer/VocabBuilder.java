package osprey.tokenizer;

import java.util.ArrayList;
import java.util.List;

/** Builds small vocabularies by hand: {@code <unk> <s> </s>} first, as in Llama's, then whatever a test adds. */
final class VocabBuilder {
    private final List<String> tokens = new ArrayList<>();
    private final List<Float> scores = new ArrayList<>();
    private final List<Integer> types = new ArrayList<>();
    private boolean spacePrefix = true;

    VocabBuilder() {
        add("<unk>", 0, TokenType.UNKNOWN);
        add("<s>", 0, TokenType.CONTROL);
        add("</s>", 0, TokenType.CONTROL);
    }

    /** The 256 byte-fallback tokens. */
    VocabBuilder bytes() {
        for (int b = 0; b < 256; b++) {
            add(ByteTokens.name(b), 0, TokenType.BYTE);
        }
        return this;
    }

    /** A normal piece; write '▁' for a space. */
    VocabBuilder piece(String text, float score) {
        return add(text, score, TokenType.NORMAL);
    }

    VocabBuilder add(String text, float score, int type) {
        tokens.add(text);
        scores.add(score);
        types.add(type);
        return this;
    }

    VocabBuilder noSpacePrefix() {
        spacePrefix = false;
        return this;
    }

    Vocabulary build() {
        float[] s = new float[scores.size()];
        int[] t = new int[types.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
            t[i] = types.get(i);
        }
        return new Vocabulary(tokens.toArray(String[]::new), s, t, 1, 2, 0, true, false, spacePrefix);
    }

    SentencePieceTokenizer tokenizer() {
        return new SentencePieceTokenizer(build());
    }
}
