package osprey.models;

import osprey.models.gguf.GgufFile;
import osprey.models.gguf.GgufFormatException;

import java.util.List;

/**
 * The hyperparameters of a Llama-family model, read from GGUF metadata ({@code <arch>.*} keys).
 * Families that differ from Llama only by options (RoPE layout, biases) are fields here, not subclasses.
 *
 * @param architecture   {@code general.architecture}, e.g. "llama"
 * @param dim            embedding length (d_model)
 * @param nLayers        transformer blocks
 * @param nHeads         query heads
 * @param nKvHeads       key/value heads (grouped-query attention when fewer than nHeads)
 * @param headDim        dimension of one head (key_length; dim / nHeads unless given)
 * @param ffnDim         hidden size of the SwiGLU feed-forward network
 * @param vocabSize      rows of the token embedding
 * @param contextLength  the context the model was trained for
 * @param rmsEps         epsilon of RMSNorm
 * @param ropeTheta      RoPE frequency base
 * @param ropeDim        leading dimensions of each head that RoPE rotates (rope.dimension_count)
 * @param ropeNeox       true: rotate (i, i + ropeDim/2) ("NEOX", half split); false: rotate (2i, 2i+1) ("NORMAL")
 */
public record ModelConfig(String architecture, int dim, int nLayers, int nHeads, int nKvHeads, int headDim,
                          int ffnDim, int vocabSize, int contextLength, float rmsEps, float ropeTheta,
                          int ropeDim, boolean ropeNeox) {

    /** The architectures this forward pass implements, with the RoPE layout llama.cpp uses for each. */
    public static final List<String> SUPPORTED = List.of("llama", "qwen2");

    public int kvDim() {
        return nKvHeads * headDim;
    }

    public int qDim() {
        return nHeads * headDim;
    }

    /** Query heads per KV head. */
    public int kvMul() {
        return nHeads / nKvHeads;
    }

    public static ModelConfig from(GgufFile gguf, int vocabSize) {
        String arch = gguf.getString("general.architecture");
        if (arch == null) throw bad(gguf, "metadata 'general.architecture' is missing");
        if (!SUPPORTED.contains(arch)) {
            throw bad(gguf, "unsupported architecture '" + arch + "' (supported: " + String.join(", ", SUPPORTED) + ")");
        }
        int dim = required(gguf, arch + ".embedding_length");
        int nLayers = required(gguf, arch + ".block_count");
        int nHeads = required(gguf, arch + ".attention.head_count");
        int nKvHeads = gguf.getInt(arch + ".attention.head_count_kv", nHeads);
        int ffnDim = required(gguf, arch + ".feed_forward_length");
        int headDim = gguf.getInt(arch + ".attention.key_length", nHeads > 0 ? dim / nHeads : 0);
        int valueDim = gguf.getInt(arch + ".attention.value_length", headDim);
        int ctx = gguf.getInt(arch + ".context_length", 2048);
        float eps = gguf.getFloat(arch + ".attention.layer_norm_rms_epsilon", 1e-5f);
        float theta = gguf.getFloat(arch + ".rope.freq_base", 10000f);
        int ropeDim = gguf.getInt(arch + ".rope.dimension_count", headDim);
        if (nHeads <= 0 || nKvHeads <= 0 || nHeads % nKvHeads != 0) {
            throw bad(gguf, "head_count " + nHeads + " must be a positive multiple of head_count_kv " + nKvHeads);
        }
        if (headDim <= 0 || valueDim != headDim) {
            throw bad(gguf, "key_length " + headDim + " and value_length " + valueDim + " must be equal and positive");
        }
        if (ropeDim <= 0 || ropeDim > headDim || ropeDim % 2 != 0) {
            throw bad(gguf, "rope.dimension_count " + ropeDim + " must be even and at most the head dimension " + headDim);
        }
        if (dim <= 0 || nLayers <= 0 || ffnDim <= 0 || ctx <= 0) {
            throw bad(gguf, "embedding_length, block_count, feed_forward_length and context_length must be positive");
        }
        String scaling = gguf.has(arch + ".rope.scaling.type") ? gguf.getString(arch + ".rope.scaling.type") : "none";
        if (!scaling.equals("none")) {
            // Running such a model unscaled would silently give wrong output past its original context.
            throw bad(gguf, arch + ".rope.scaling.type is '" + scaling + "': RoPE scaling of that kind is not supported yet");
        }
        boolean neox = switch (arch) {
            case "qwen2" -> true;
            default -> false; // llama: the original Meta layout, adjacent pairs
        };
        return new ModelConfig(arch, dim, nLayers, nHeads, nKvHeads, headDim, ffnDim, vocabSize, ctx, eps, theta, ropeDim, neox);
    }

    private static int required(GgufFile gguf, String key) {
        if (!gguf.has(key)) throw bad(gguf, "metadata '" + key + "' is missing");
        return gguf.getInt(key, 0);
    }

    private static GgufFormatException bad(GgufFile gguf, String problem) {
        return new GgufFormatException(gguf.path(), -1, problem);
    }
}
