package osprey.tokenizer;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A tokenizer's vocabulary as a GGUF file describes it ({@code tokenizer.ggml.*}).
 * The arrays are shared, not copied: a vocabulary holds 32k+ entries and is never mutated.
 *
 * @param tokens         id -> token text; '▁' (U+2581) stands for a space, {@code <0xXX>} for a raw byte
 * @param scores         id -> merge priority, higher merges first; null means all 0
 * @param tokenTypes     id -> {@link TokenType}; null means "guess": BOS/EOS are CONTROL, unk is UNKNOWN,
 *                       {@code <0xXX>} is BYTE, the rest NORMAL (after construction it is never null)
 * @param bosId          beginning-of-sequence token, or -1
 * @param eosId          end-of-sequence token, or -1
 * @param unkId          the unknown token, or -1 if there is none
 * @param addBos         whether the model expects BOS in front of a prompt
 * @param addEos         whether the model expects EOS after a prompt
 * @param addSpacePrefix SentencePiece's "dummy prefix": text is encoded as if it began with a space
 * @param rstrip         id -> the special token swallows the whitespace that follows it (llama.cpp's RSTRIP
 *                       attribute); null means none
 * @param ids            token text -> id; null to build it here (normally you pass null)
 */
public record Vocabulary(String[] tokens, float[] scores, int[] tokenTypes,
                         int bosId, int eosId, int unkId,
                         boolean addBos, boolean addEos, boolean addSpacePrefix,
                         boolean[] rstrip, Map<String, Integer> ids) {

    public Vocabulary {
        int n = tokens.length;
        if (scores != null && scores.length != n) {
            throw new IllegalArgumentException("scores has " + scores.length + " entries for " + n + " tokens");
        }
        if (tokenTypes != null && tokenTypes.length != n) {
            throw new IllegalArgumentException("token types has " + tokenTypes.length + " entries for " + n + " tokens");
        }
        if (rstrip != null && rstrip.length != n) {
            throw new IllegalArgumentException("rstrip has " + rstrip.length + " entries for " + n + " tokens");
        }
        checkId("bos", bosId, n);
        checkId("eos", eosId, n);
        checkId("unk", unkId, n);
        if (tokenTypes == null) {
            tokenTypes = guessTypes(tokens, bosId, eosId, unkId);
        }
        if (rstrip == null) {
            rstrip = new boolean[n];
        }
        if (ids == null) {
            ids = index(tokens);
        }
    }

    /** The usual way to build one: everything GGUF stores, no per-model quirks. */
    public Vocabulary(String[] tokens, float[] scores, int[] tokenTypes, int bosId, int eosId, int unkId,
                      boolean addBos, boolean addEos, boolean addSpacePrefix) {
        this(tokens, scores, tokenTypes, bosId, eosId, unkId, addBos, addEos, addSpacePrefix, null, null);
    }

    public int size() {
        return tokens.length;
    }

    /** The id of a token text, or -1. */
    public int id(String token) {
        Integer id = ids.get(token);
        return id == null ? -1 : id;
    }

    public String token(int id) {
        return tokens[id];
    }

    public float score(int id) {
        return scores == null ? 0f : scores[id];
    }

    public int type(int id) {
        return tokenTypes[id];
    }

    /**
     * Applies the token attributes llama.cpp derives from the model's name ({@code general.name}) rather than
     * from anything in the tokenizer metadata. Only one concerns a SentencePiece vocabulary: for Phi-3, every
     * special token except {@code <unk>}, {@code <s>} and {@code <|endoftext|>} swallows the whitespace after it,
     * so {@code "<|user|>\nHi"} encodes as {@code <|user|> ▁Hi}, as the model was trained.
     * Returns this vocabulary when no rule applies.
     */
    public Vocabulary withModelName(String generalName) {
        if (generalName == null) {
            return this;
        }
        String name = generalName.toLowerCase(Locale.ROOT);
        if (!name.contains("phi-3") && !name.contains("phi3")) {
            return this;
        }
        boolean[] strip = rstrip.clone();
        for (int id = 0; id < tokens.length; id++) {
            int t = tokenTypes[id];
            if (t == TokenType.CONTROL || t == TokenType.USER_DEFINED || t == TokenType.UNKNOWN) {
                strip[id] = true;
            }
        }
        setIfPresent(strip, "</s>", true);
        setIfPresent(strip, "<unk>", false);
        setIfPresent(strip, "<s>", false);
        setIfPresent(strip, "<|endoftext|>", false);
        return new Vocabulary(tokens, scores, tokenTypes, bosId, eosId, unkId, addBos, addEos, addSpacePrefix,
                strip, ids);
    }

    private void setIfPresent(boolean[] strip, String token, boolean value) {
        int id = id(token);
        if (id >= 0) {
            strip[id] = value;
        }
    }

    private static void checkId(String what, int id, int n) {
        if (id < -1 || id >= n) {
            throw new IllegalArgumentException(what + " id " + id + " is outside the vocabulary of " + n + " tokens");
        }
    }

    // Later duplicates win, as in llama.cpp, so a duplicated text maps to the same id there and here.
    private static Map<String, Integer> index(String[] tokens) {
        Map<String, Integer> ids = HashMap.newHashMap(tokens.length);
        for (int id = 0; id < tokens.length; id++) {
            ids.put(tokens[id], id);
        }
        return ids;
    }

    private static int[] guessTypes(String[] tokens, int bosId, int eosId, int unkId) {
        int[] types = new int[tokens.length];
        for (int id = 0; id < tokens.length; id++) {
            if (id == bosId || id == eosId) {
                types[id] = TokenType.CONTROL;
            } else if (id == unkId) {
                types[id] = TokenType.UNKNOWN;
            } else if (ByteTokens.parse(tokens[id]) >= 0) {
                types[id] = TokenType.BYTE;
            } else {
                types[id] = TokenType.NORMAL;
            }
        }
        return types;
    }
}
