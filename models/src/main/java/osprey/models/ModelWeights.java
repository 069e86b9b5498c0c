package osprey.models;

import osprey.engine.FloatTensor;
import osprey.models.gguf.GgufFile;
import osprey.models.gguf.GgufFormatException;
import osprey.models.gguf.TensorInfo;

import java.util.Arrays;

/**
 * The weights of a Llama-family model, by llama.cpp's GGUF tensor names. Matrices are zero-copy views of
 * the mapped file; the small 1-D norm weights and biases are copied to float arrays once.
 *
 * <p>A matrix with n_in inputs and n_out outputs has GGUF shape [n_in, n_out]: n_out rows of n_in values.
 */
public record ModelWeights(
        FloatTensor tokenEmbedding, // token_embd       (vocab rows of dim)
        float[][] attnNorm,         // blk.N.attn_norm  [layer][dim]
        FloatTensor[] wq,           // blk.N.attn_q     (qDim rows of dim)
        FloatTensor[] wk,           // blk.N.attn_k     (kvDim rows of dim)
        FloatTensor[] wv,           // blk.N.attn_v     (kvDim rows of dim)
        float[][] bq,               // blk.N.attn_q.bias [layer][qDim], or null (qwen2)
        float[][] bk,               // blk.N.attn_k.bias [layer][kvDim], or null
        float[][] bv,               // blk.N.attn_v.bias [layer][kvDim], or null
        FloatTensor[] wo,           // blk.N.attn_output (dim rows of qDim)
        float[][] ffnNorm,          // blk.N.ffn_norm   [layer][dim]
        FloatTensor[] w1,           // blk.N.ffn_gate   (ffnDim rows of dim)
        FloatTensor[] w2,           // blk.N.ffn_down   (dim rows of ffnDim)
        FloatTensor[] w3,           // blk.N.ffn_up     (ffnDim rows of dim)
        float[] outputNorm,         // output_norm      [dim]
        FloatTensor output,         // output, or token_embd when tied (vocab rows of dim)
        float[] ropeFreqFactors     // rope_freqs       [ropeDim/2] (Llama 3.1 scaling), or null
) {

    public static ModelWeights load(GgufFile gguf, ModelConfig c) {
        Loader l = new Loader(gguf);
        int n = c.nLayers();
        FloatTensor[] wq = new FloatTensor[n], wk = new FloatTensor[n], wv = new FloatTensor[n], wo = new FloatTensor[n];
        FloatTensor[] w1 = new FloatTensor[n], w2 = new FloatTensor[n], w3 = new FloatTensor[n];
        float[][] attnNorm = new float[n][], ffnNorm = new float[n][];
        float[][] bq = new float[n][], bk = new float[n][], bv = new float[n][];
        boolean biases = gguf.tensors().containsKey("blk.0.attn_q.bias");
        for (int i = 0; i < n; i++) {
            String p = "blk." + i + ".";
            attnNorm[i] = l.vector(p + "attn_norm.weight", c.dim());
            wq[i] = l.matrix(p + "attn_q.weight", c.dim(), c.qDim());
            wk[i] = l.matrix(p + "attn_k.weight", c.dim(), c.kvDim());
            wv[i] = l.matrix(p + "attn_v.weight", c.dim(), c.kvDim());
            if (biases) {
                bq[i] = l.vector(p + "attn_q.bias", c.qDim());
                bk[i] = l.vector(p + "attn_k.bias", c.kvDim());
                bv[i] = l.vector(p + "attn_v.bias", c.kvDim());
            }
            wo[i] = l.matrix(p + "attn_output.weight", c.qDim(), c.dim());
            ffnNorm[i] = l.vector(p + "ffn_norm.weight", c.dim());
            w1[i] = l.matrix(p + "ffn_gate.weight", c.dim(), c.ffnDim());
            w2[i] = l.matrix(p + "ffn_down.weight", c.ffnDim(), c.dim());
            w3[i] = l.matrix(p + "ffn_up.weight", c.dim(), c.ffnDim());
        }
        FloatTensor embedding = l.matrix("token_embd.weight", c.dim(), c.vocabSize());
        FloatTensor output = gguf.tensors().containsKey("output.weight")
                ? l.matrix("output.weight", c.dim(), c.vocabSize())
                : embedding; // tied embeddings
        float[] ropeFreqs = gguf.tensors().containsKey("rope_freqs.weight") ? l.vector("rope_freqs.weight", c.ropeDim() / 2) : null;
        return new ModelWeights(embedding, attnNorm, wq, wk, wv, biases ? bq : null, biases ? bk : null, biases ? bv : null,
                wo, ffnNorm, w1, w2, w3, l.vector("output_norm.weight", c.dim()), output, ropeFreqs);
    }

    /** Looks tensors up by name and checks their shapes against the config, naming any mismatch. */
    private record Loader(GgufFile gguf) {
        TensorInfo info(String name, long... shape) {
            TensorInfo t = gguf.tensors().get(name);
            if (t == null) throw new GgufFormatException(gguf.path(), -1, "tensor '" + name + "' is missing");
            if (!Arrays.equals(t.shape(), shape)) {
                throw new GgufFormatException(gguf.path(), gguf.dataOffset() + t.offset(), "tensor '" + name + "' has shape "
                        + t.shapeString() + ", expected " + Arrays.toString(shape) + " from the model's hyperparameters");
            }
            return t;
        }

        FloatTensor matrix(String name, int nIn, int nOut) {
            info(name, nIn, nOut);
            return gguf.tensor(name);
        }

        float[] vector(String name, int n) {
            info(name, n);
            float[] v = new float[n];
            gguf.tensor(name).dequantize(0, v, 0, n);
            return v;
        }
    }
}
