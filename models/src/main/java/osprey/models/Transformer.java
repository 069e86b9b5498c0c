package osprey.models;

import osprey.engine.Activations;
import osprey.engine.FloatTensor;
import osprey.engine.GgmlType;
import osprey.engine.Gemm;
import osprey.engine.KvCache;
import osprey.engine.Matmul;
import osprey.engine.Matmul.Product;
import osprey.engine.ThreadPool;

import java.util.EnumMap;

/**
 * The forward pass of a Llama-family transformer, for a batch of tokens at given positions.
 *
 * <p>Prefill and decode are the same call: a prompt is one batch of many tokens, a decode step is a batch
 * of one. Each token at position p attends to the cache positions 0..p, which this call fills for the
 * batch before attending (so the tokens of one batch see each other causally).
 *
 * <p>Shapes: T = tokens in the batch, D = dim, Q = nHeads*headDim, K = nKvHeads*headDim, F = ffnDim, V = vocab.
 *
 * <pre>
 * x = embed(tokens)
 * for each layer:  x = x + wo . attention(rope(wq . rmsnorm(x)), rope(wk . rmsnorm(x)), wv . rmsnorm(x))
 *                  x = x + w2 . (silu(w1 . rmsnorm(x)) * (w3 . rmsnorm(x)))
 * logits = output . rmsnorm(x)
 * </pre>
 */
public final class Transformer {
    private final ModelConfig c;
    private final ModelWeights w;
    private final ThreadPool pool;
    private final double[] ropeFreqs;   // [ropeDim/2] angle per position of each rotated pair
    private final float attnScale;
    /** Batches of at least this many tokens use the tiled prefill matmul ({@link Gemm}). */
    static final int PREFILL_BATCH = 8;

    // Run state, grown to the largest batch seen. Shapes are per batch of T tokens.
    private int capacity;
    private float[] x;      // (T, D) residual stream
    private float[] xb;     // (T, D) normalised input of a sub-block
    private float[] q;      // (T, Q) queries
    private float[] k;      // (T, K) keys of the batch
    private float[] v;      // (T, K) values of the batch
    private float[] att;    // (T, Q) attention output, heads concatenated
    private float[] xb2;    // (T, D) output of a sub-block before the residual add
    private float[] hb;     // (T, F) ffn gate, then silu(gate) * up
    private float[] hb2;    // (T, F) ffn up
    private final EnumMap<GgmlType, Activations> activations = new EnumMap<>(GgmlType.class); // by activation type

    public Transformer(ModelConfig config, ModelWeights weights, ThreadPool pool) {
        this.c = config;
        this.w = weights;
        this.pool = pool;
        this.attnScale = (float) (1.0 / Math.sqrt(config.headDim()));
        this.ropeFreqs = new double[config.ropeDim() / 2];
        for (int i = 0; i < ropeFreqs.length; i++) {
            double f = Math.pow(config.ropeTheta(), -2.0 * i / config.ropeDim());
            if (weights.ropeFreqFactors() != null) f /= weights.ropeFreqFactors()[i];
            ropeFreqs[i] = f;
        }
    }

    public ModelConfig config() {
        return c;
    }

    /**
     * Runs {@code n} tokens at {@code positions} through the model, storing their keys and values in
     * {@code cache}, and writes logits: for every token ({@code logits} is (n, V)) when {@code allLogits},
     * else for the last token only ({@code logits} is (V)).
     */
    public void forward(int[] tokens, int[] positions, int n, KvCache cache, boolean allLogits, float[] logits) {
        for (int t = 0; t < n; t++) {
            if (tokens[t] < 0 || tokens[t] >= c.vocabSize()) {
                throw new IllegalArgumentException("token id " + tokens[t] + " outside the vocabulary of " + c.vocabSize());
            }
            if (positions[t] < 0 || positions[t] >= cache.capacity()) {
                throw new IllegalArgumentException("position " + positions[t] + " outside the context of " + cache.capacity() + " tokens");
            }
        }
        ensureCapacity(n);
        int D = c.dim(), Q = c.qDim(), K = c.kvDim(), F = c.ffnDim();

        for (int t = 0; t < n; t++) w.tokenEmbedding().dequantize((long) tokens[t] * D, x, t * D, D);

        for (int l = 0; l < c.nLayers(); l++) {
            // attention
            rmsnorm(xb, x, w.attnNorm()[l], n);
            project(xb, n, D, new Product(w.wq()[l], Q, q), new Product(w.wk()[l], K, k), new Product(w.wv()[l], K, v));
            if (w.bq() != null) {
                addBias(q, w.bq()[l], n);
                addBias(k, w.bk()[l], n);
                addBias(v, w.bv()[l], n);
            }
            rope(q, c.nHeads(), positions, n);
            rope(k, c.nKvHeads(), positions, n);
            for (int t = 0; t < n; t++) cache.put(l, positions[t], k, t * K, v, t * K);
            attention(l, cache, positions, n);
            matmul(w.wo()[l], att, n, Q, D, xb2);
            add(x, xb2, n * D);

            // feed-forward (SwiGLU)
            rmsnorm(xb, x, w.ffnNorm()[l], n);
            project(xb, n, D, new Product(w.w1()[l], F, hb), new Product(w.w3()[l], F, hb2));
            for (int i = 0; i < n * F; i++) hb[i] = silu(hb[i]) * hb2[i];
            matmul(w.w2()[l], hb, n, F, D, xb2);
            add(x, xb2, n * D);
        }

        if (allLogits) {
            rmsnorm(xb, x, w.outputNorm(), n);
            matmul(w.output(), xb, n, D, c.vocabSize(), logits);
        } else {
            // Only the last token's distribution is needed: normalise and project just that row.
            System.arraycopy(x, (n - 1) * D, x, 0, D);
            rmsnorm(xb, x, w.outputNorm(), 1);
            matmul(w.output(), xb, 1, D, c.vocabSize(), logits);
        }
    }

    /** Causal multi-head attention with grouped KV heads: parallel over (token, head). */
    private void attention(int layer, KvCache cache, int[] positions, int n) {
        int H = c.nHeads(), hd = c.headDim(), Q = c.qDim(), kvMul = c.kvMul();
        java.util.Arrays.fill(att, 0, n * Q, 0f);
        pool.parallelFor(n * H, 1, (start, end) -> {
            float[] scores = new float[0];
            for (int task = start; task < end; task++) {
                int t = task / H, h = task % H, kvh = h / kvMul;
                int pos = positions[t];
                if (scores.length < pos + 1) scores = new float[pos + 1];
                int qOff = t * Q + h * hd;
                float max = Float.NEGATIVE_INFINITY;
                for (int p = 0; p <= pos; p++) {
                    float s = cache.dotKey(layer, p, kvh, q, qOff) * attnScale;
                    scores[p] = s;
                    if (s > max) max = s;
                }
                double sum = 0;  // in double, as llama.cpp sums its softmax in ggml_float
                for (int p = 0; p <= pos; p++) {
                    float e = (float) Math.exp(scores[p] - max);
                    scores[p] = e;
                    sum += e;
                }
                float inv = (float) (1.0 / sum);
                for (int p = 0; p <= pos; p++) cache.addValue(layer, p, kvh, scores[p] * inv, att, qOff);
            }
        });
    }

    /** Rotates the leading ropeDim dimensions of each head by position-dependent angles. */
    private void rope(float[] vec, int nHeadsOfVec, int[] positions, int n) {
        int hd = c.headDim(), half = c.ropeDim() / 2, rowLen = nHeadsOfVec * hd;
        for (int t = 0; t < n; t++) {
            int pos = positions[t];
            for (int i = 0; i < half; i++) {
                double angle = pos * ropeFreqs[i];
                float cos = (float) Math.cos(angle), sin = (float) Math.sin(angle);
                // NORMAL rotates adjacent pairs (2i, 2i+1); NEOX rotates (i, i + ropeDim/2).
                int a = c.ropeNeox() ? i : 2 * i;
                int b = c.ropeNeox() ? i + half : 2 * i + 1;
                for (int h = 0; h < nHeadsOfVec; h++) {
                    int base = t * rowLen + h * hd;
                    float x0 = vec[base + a], x1 = vec[base + b];
                    vec[base + a] = x0 * cos - x1 * sin;
                    vec[base + b] = x0 * sin + x1 * cos;
                }
            }
        }
    }

    /** out = x / sqrt(mean(x^2) + eps) * weight, row by row; the sum of squares in double as llama.cpp does. */
    private void rmsnorm(float[] out, float[] in, float[] weight, int n) {
        int D = c.dim();
        for (int t = 0; t < n; t++) {
            int off = t * D;
            double ss = 0;
            for (int i = 0; i < D; i++) ss += in[off + i] * in[off + i];
            float mean = (float) (ss / D);
            float scale = 1.0f / (float) Math.sqrt(mean + c.rmsEps());
            for (int i = 0; i < D; i++) out[off + i] = (in[off + i] * scale) * weight[i];
        }
    }

    /** out (n, nOut) = x (n, nIn) . W^T, with x converted once to the form W's type multiplies with. */
    private void matmul(FloatTensor weight, float[] in, int n, int nIn, int nOut, float[] out) {
        project(in, n, nIn, new Product(weight, nOut, out));
    }

    /**
     * Several matmuls of the same input (n, nIn): the input is converted once per activation type, and
     * the products sharing it run in one pass over the pool.
     */
    private void project(float[] in, int n, int nIn, Product... products) {
        GgmlType first = products[0].w().type().activationType();
        boolean same = true;
        for (Product p : products) same &= p.w().type().activationType() == first;
        if (n >= PREFILL_BATCH) {
            // Prefill: arithmetic-bound, so dequantize weights once into float panels and tile over tokens.
            for (Product p : products) Gemm.matmul(pool, p.w(), nIn, p.nOut(), load(p.w().type().activationType(), in, n, nIn), p.out());
        } else if (same) {
            Matmul.matmul(pool, load(first, in, n, nIn), nIn, products);
        } else { // mixed types (e.g. a Q4_K_M file): one pass per product
            for (Product p : products) Matmul.matmul(pool, load(p.w().type().activationType(), in, n, nIn), nIn, p);
        }
    }

    private Activations load(GgmlType format, float[] in, int n, int nIn) {
        Activations a = activations.computeIfAbsent(format, Activations::new);
        a.load(in, 0, n, nIn);
        return a;
    }

    private static void addBias(float[] out, float[] bias, int n) {
        for (int t = 0; t < n; t++) {
            int off = t * bias.length;
            for (int i = 0; i < bias.length; i++) out[off + i] += bias[i];
        }
    }

    private static void add(float[] acc, float[] delta, int len) {
        for (int i = 0; i < len; i++) acc[i] += delta[i];
    }

    private static float silu(float v) {
        return v / (1.0f + (float) Math.exp(-v));
    }

    private void ensureCapacity(int n) {
        if (n <= capacity) return;
        capacity = n;
        x = new float[n * c.dim()];
        xb = new float[n * c.dim()];
        xb2 = new float[n * c.dim()];
        q = new float[n * c.qDim()];
        att = new float[n * c.qDim()];
        k = new float[n * c.kvDim()];
        v = new float[n * c.kvDim()];
        hb = new float[n * c.ffnDim()];
        hb2 = new float[n * c.ffnDim()];
    }
}
