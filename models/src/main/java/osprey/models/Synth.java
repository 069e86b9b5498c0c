package osprey.models;

import osprey.engine.GgmlType;
import osprey.engine.Quantizer;
import osprey.engine.ThreadPool;
import osprey.models.gguf.GgufFile;
import osprey.models.gguf.GgufValueType;
import osprey.models.gguf.GgufWriter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Writes random-weight GGUF models of real shapes, so that every engine (Osprey, llama.cpp, the Java
 * peers) can be benchmarked on the same file without downloading gigabytes. The tokenizer is copied from
 * a real vocabulary GGUF; the weights are seeded uniform noise with the scale of a trained model
 * (std 1/sqrt(fan_in)), quantized to the chosen type the way the engine's quantizers do it.
 */
public final class Synth {
    private Synth() {}

    /** A model shape: hyperparameters as in the real model's GGUF. */
    public record Shape(String name, String arch, int dim, int layers, int heads, int kvHeads, int ffn, int vocab,
                        boolean tied, float ropeTheta, float rmsEps, int contextLength, boolean qkvBias,
                        boolean llama3RopeScaling) {
        public int headDim() {
            return dim / heads;
        }

        /** Parameters, counting a tied embedding once. */
        public long parameters() {
            long attn = (long) dim * headDim() * (heads + 2L * kvHeads) + (long) heads * headDim() * dim;
            long ffnParams = 3L * dim * ffn;
            long perLayer = attn + ffnParams + 2L * dim + (qkvBias ? (long) headDim() * (heads + 2L * kvHeads) : 0);
            return layers * perLayer + (long) vocab * dim * (tied ? 1 : 2) + dim;
        }
    }

    /** The named shapes {@code osprey synth} knows. */
    public static final Map<String, Shape> SHAPES = new LinkedHashMap<>();

    static {
        add(new Shape("llama3.2-1b", "llama", 2048, 16, 32, 8, 8192, 128256, true, 500000f, 1e-5f, 131072, false, true));
        add(new Shape("tinyllama", "llama", 2048, 22, 32, 4, 5632, 32000, false, 10000f, 1e-5f, 2048, false, false));
        add(new Shape("qwen2.5-0.5b", "qwen2", 896, 24, 14, 2, 4864, 151936, true, 1000000f, 1e-6f, 32768, true, false));
    }

    private static void add(Shape s) {
        SHAPES.put(s.name(), s);
    }

    /** llama.cpp's {@code general.file_type} for a model whose matrices are all of {@code type}. */
    static int fileType(GgmlType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            case Q4_K -> 15; // Q4_K_M is the closest named ftype
            case Q6_K -> 18;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("osprey synth cannot write " + type);
        };
    }

    /**
     * The type a matrix with rows of {@code rowLength} is stored in: {@code type} when its blocks tile the
     * row, else Q8_0 (llama.cpp's quantizer falls back the same way for K-quants on odd rows), else F16.
     */
    static GgmlType typeFor(GgmlType type, long rowLength) {
        if (rowLength % type.blockSize() == 0) return type;
        if (rowLength % GgmlType.Q8_0.blockSize() == 0) return GgmlType.Q8_0;
        return GgmlType.F16;
    }

    /**
     * Writes {@code shape} with matrices in {@code type} to {@code out}, the tokenizer copied from
     * {@code vocab} (whose token count becomes the vocabulary size). Progress lines go to {@code progress}.
     */
    public static void write(Shape shape, GgmlType type, GgufFile vocab, long seed, Path out, ThreadPool pool,
                             Consumer<String> progress) throws IOException {
        String[] tokens = vocab.getArray("tokenizer.ggml.tokens", String[].class);
        if (tokens == null) throw new IllegalArgumentException(vocab.path() + " has no tokenizer.ggml.tokens: not a vocabulary GGUF");
        Shape s = shape;
        if (tokens.length != shape.vocab()) {
            progress.accept("vocabulary " + vocab.path().getFileName() + " has " + tokens.length + " tokens; " + shape.name()
                    + " has " + shape.vocab() + ": using " + tokens.length);
            s = new Shape(shape.name(), shape.arch(), shape.dim(), shape.layers(), shape.heads(), shape.kvHeads(), shape.ffn(),
                    tokens.length, shape.tied(), shape.ropeTheta(), shape.rmsEps(), shape.contextLength(), shape.qkvBias(),
                    shape.llama3RopeScaling());
        }
        fileType(type); // refuse unwritable types before doing any work
        String a = s.arch();
        int hd = s.headDim(), qDim = s.heads() * hd, kvDim = s.kvHeads() * hd;

        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", a);
        w.putString("general.name", "osprey synth " + s.name() + " " + type + " (random weights)");
        w.putU32("general.file_type", fileType(type));
        if (type != GgmlType.F32 && type != GgmlType.F16 && type != GgmlType.BF16) w.putU32("general.quantization_version", 2);
        w.putU32(a + ".context_length", s.contextLength());
        w.putU32(a + ".embedding_length", s.dim());
        w.putU32(a + ".block_count", s.layers());
        w.putU32(a + ".feed_forward_length", s.ffn());
        w.putU32(a + ".attention.head_count", s.heads());
        w.putU32(a + ".attention.head_count_kv", s.kvHeads());
        w.putU32(a + ".rope.dimension_count", hd);
        w.putF32(a + ".rope.freq_base", s.ropeTheta());
        w.putF32(a + ".attention.layer_norm_rms_epsilon", s.rmsEps());
        w.putU32(a + ".vocab_size", s.vocab());
        for (String key : vocab.metadata().keySet()) {
            if (!key.startsWith("tokenizer.")) continue;
            GgufValueType t = vocab.metadataType(key);
            if (t == GgufValueType.ARRAY && vocab.arrayElementType(key) == GgufValueType.ARRAY) {
                progress.accept("skipping " + key + ": nested arrays are not copied");
                continue;
            }
            if (t == GgufValueType.ARRAY) w.putArray(key, vocab.arrayElementType(key), vocab.get(key));
            else w.put(key, t, vocab.get(key));
        }

        Weights gen = new Weights(seed, pool);
        w.addTensor("token_embd.weight", typeFor(type, s.dim()), new long[]{s.dim(), s.vocab()},
                gen.matrix("token_embd.weight", typeFor(type, s.dim()), s.dim(), s.vocab(), s.tied() ? 0.02f : 1f));
        if (s.llama3RopeScaling()) w.addF32("rope_freqs.weight", new long[]{hd / 2}, llama3RopeFactors(hd, s.ropeTheta()));
        for (int l = 0; l < s.layers(); l++) {
            String p = "blk." + l + ".";
            w.addF32(p + "attn_norm.weight", new long[]{s.dim()}, ones(s.dim()));
            w.addTensor(p + "attn_q.weight", typeFor(type, s.dim()), new long[]{s.dim(), qDim}, gen.matrix(p + "attn_q.weight", typeFor(type, s.dim()), s.dim(), qDim, 1f));
            w.addTensor(p + "attn_k.weight", typeFor(type, s.dim()), new long[]{s.dim(), kvDim}, gen.matrix(p + "attn_k.weight", typeFor(type, s.dim()), s.dim(), kvDim, 1f));
            w.addTensor(p + "attn_v.weight", typeFor(type, s.dim()), new long[]{s.dim(), kvDim}, gen.matrix(p + "attn_v.weight", typeFor(type, s.dim()), s.dim(), kvDim, 1f));
            if (s.qkvBias()) {
                w.addF32(p + "attn_q.bias", new long[]{qDim}, gen.vector(p + "attn_q.bias", qDim, 0.02f));
                w.addF32(p + "attn_k.bias", new long[]{kvDim}, gen.vector(p + "attn_k.bias", kvDim, 0.02f));
                w.addF32(p + "attn_v.bias", new long[]{kvDim}, gen.vector(p + "attn_v.bias", kvDim, 0.02f));
            }
            w.addTensor(p + "attn_output.weight", typeFor(type, qDim), new long[]{qDim, s.dim()}, gen.matrix(p + "attn_output.weight", typeFor(type, qDim), qDim, s.dim(), 1f));
            w.addF32(p + "ffn_norm.weight", new long[]{s.dim()}, ones(s.dim()));
            w.addTensor(p + "ffn_gate.weight", typeFor(type, s.dim()), new long[]{s.dim(), s.ffn()}, gen.matrix(p + "ffn_gate.weight", typeFor(type, s.dim()), s.dim(), s.ffn(), 1f));
            w.addTensor(p + "ffn_up.weight", typeFor(type, s.dim()), new long[]{s.dim(), s.ffn()}, gen.matrix(p + "ffn_up.weight", typeFor(type, s.dim()), s.dim(), s.ffn(), 1f));
            w.addTensor(p + "ffn_down.weight", typeFor(type, s.ffn()), new long[]{s.ffn(), s.dim()}, gen.matrix(p + "ffn_down.weight", typeFor(type, s.ffn()), s.ffn(), s.dim(), 1f));
        }
        w.addF32("output_norm.weight", new long[]{s.dim()}, ones(s.dim()));
        if (!s.tied()) {
            w.addTensor("output.weight", typeFor(type, s.dim()), new long[]{s.dim(), s.vocab()}, gen.matrix("output.weight", typeFor(type, s.dim()), s.dim(), s.vocab(), 1f));
        }
        progress.accept(String.format("writing %s: %s, %s, %.2f B parameters", out, s.name(), type, s.parameters() / 1e9));
        gen.progress = progress;
        // Written beside the target and renamed at the end: a failure never leaves a truncated model behind.
        Path partial = out.resolveSibling(out.getFileName() + ".partial");
        try {
            w.write(partial);
            java.nio.file.Files.move(partial, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            java.nio.file.Files.deleteIfExists(partial);
        }
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    /** Llama 3.1's RoPE frequency factors (factor 32, low 1, high 4, original context 8192). */
    static float[] llama3RopeFactors(int headDim, float theta) {
        double factor = 32, lowFreqFactor = 1, highFreqFactor = 4, oldContext = 8192;
        double lowWavelen = oldContext / lowFreqFactor, highWavelen = oldContext / highFreqFactor;
        float[] f = new float[headDim / 2];
        for (int i = 0; i < f.length; i++) {
            double freq = Math.pow(theta, -2.0 * i / headDim);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) f[i] = 1f;
            else if (wavelen > lowWavelen) f[i] = (float) factor;
            else {
                double smooth = (oldContext / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                f[i] = (float) (1.0 / ((1 - smooth) / factor + smooth));
            }
        }
        return f;
    }

    /** Seeded random weights, generated and quantized in parallel chunks of rows, written in order. */
    private static final class Weights {
        private static final int CHUNK_ELEMENTS = 1 << 21;
        private final long seed;
        private final ThreadPool pool;
        Consumer<String> progress = s -> { };

        Weights(long seed, ThreadPool pool) {
            this.seed = seed;
            this.pool = pool;
        }

        private long tensorSeed(String name) {
            return seed * 0x9E3779B97F4A7C15L + name.hashCode();
        }

        float[] vector(String name, int n, float scale) {
            SplittableRandom r = new SplittableRandom(tensorSeed(name));
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) (scale * (2 * r.nextDouble() - 1));
            return v;
        }

        /**
         * A matrix of {@code rows} rows of {@code rowLength}, uniform in ±sqrt(3)·gain/sqrt(rowLength) (std
         * gain/sqrt(rowLength), the scale of a trained layer), generated when the file is written.
         */
        GgufWriter.TensorData matrix(String name, GgmlType type, int rowLength, int rows, float gain) {
            return out -> {
                float bound = (float) (Math.sqrt(3) * gain / Math.sqrt(rowLength));
                int rowsPerChunk = Math.max(1, CHUNK_ELEMENTS / rowLength);
                int chunks = (rows + rowsPerChunk - 1) / rowsPerChunk;
                int group = Math.max(1, pool.threads() * 2);
                byte[][] buffers = new byte[group][(int) type.bytesFor((long) rowsPerChunk * rowLength)];
                long base = tensorSeed(name);
                for (int first = 0; first < chunks; first += group) {
                    int count = Math.min(group, chunks - first);
                    int firstChunk = first;
                    pool.parallelFor(count, 1, (start, end) -> {
                        float[] x = new float[rowsPerChunk * rowLength];
                        for (int c = start; c < end; c++) {
                            int chunk = firstChunk + c;
                            int n = Math.min(rowsPerChunk, rows - chunk * rowsPerChunk) * rowLength;
                            SplittableRandom r = new SplittableRandom(base + chunk);
                            for (int i = 0; i < n; i++) x[i] = bound * (float) (2 * r.nextDouble() - 1);
                            Quantizer.quantize(type, x, 0, n, buffers[c], 0);
                        }
                    });
                    for (int c = 0; c < count; c++) {
                        int n = Math.min(rowsPerChunk, rows - (first + c) * rowsPerChunk) * rowLength;
                        out.write(buffers[c], 0, (int) type.bytesFor(n));
                    }
                }
                if ((long) rows * rowLength > 50_000_000) progress.accept("  " + name + " " + type + " [" + rowLength + ", " + rows + "]");
            };
        }
    }
}
