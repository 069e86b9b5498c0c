package osprey.models;

import osprey.models.gguf.GgufFile;
import osprey.models.gguf.GgufFormatException;
import osprey.tokenizer.SentencePieceTokenizer;
import osprey.tokenizer.Vocabulary;

/** Builds the tokenizer a GGUF file describes in its {@code tokenizer.ggml.*} metadata. */
public final class Tokenizers {
    private static final String SUPPORTED = "'llama' (SentencePiece BPE: Llama 1/2, Mistral, Phi-3, TinyLlama)";

    private Tokenizers() {}

    public static SentencePieceTokenizer load(GgufFile gguf) {
        String model = gguf.getString("tokenizer.ggml.model");
        if (model == null) {
            throw new GgufFormatException(gguf.path(), -1,
                    "no tokenizer.ggml.model: the file has no tokenizer; supported is " + SUPPORTED);
        }
        if (!model.equals("llama")) {
            throw new GgufFormatException(gguf.path(), -1, "tokenizer.ggml.model is '" + model
                    + "', which Osprey does not support yet; supported is " + SUPPORTED);
        }
        String[] tokens = gguf.getArray("tokenizer.ggml.tokens", String[].class);
        if (tokens == null) {
            throw new GgufFormatException(gguf.path(), -1, "tokenizer.ggml.tokens is missing");
        }
        float[] scores = gguf.getArray("tokenizer.ggml.scores", float[].class);
        int[] types = gguf.getArray("tokenizer.ggml.token_type", int[].class);
        // The defaults are llama.cpp's for an SPM vocabulary: <unk> <s> </s> at 0 1 2.
        Vocabulary vocab = new Vocabulary(tokens, scores, types,
                specialId(gguf, "tokenizer.ggml.bos_token_id", 1, tokens.length),
                specialId(gguf, "tokenizer.ggml.eos_token_id", 2, tokens.length),
                specialId(gguf, "tokenizer.ggml.unknown_token_id", 0, tokens.length),
                gguf.getBoolean("tokenizer.ggml.add_bos_token", true),
                gguf.getBoolean("tokenizer.ggml.add_eos_token", false),
                gguf.getBoolean("tokenizer.ggml.add_space_prefix", true));
        // llama.cpp keys some token attributes on the model's name (Phi-3's special tokens eat the whitespace
        // after them); nothing in the tokenizer metadata says so.
        return new SentencePieceTokenizer(vocab.withModelName(gguf.getString("general.name")));
    }

    // Like llama.cpp: an id outside the vocabulary (some converters write 0xFFFFFFFF for "none") is ignored
    // in favour of the default.
    private static int specialId(GgufFile gguf, String key, int dflt, int nTokens) {
        long id = gguf.getLong(key, dflt);
        if (id >= 0 && id < nTokens) {
            return (int) id;
        }
        return dflt < nTokens ? dflt : -1;
    }
}
