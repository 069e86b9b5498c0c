package osprey.kernel;

import osprey.engine.GgmlType;
import osprey.engine.KvCache;
import osprey.engine.MemoryBandwidth;
import osprey.models.Model;
import osprey.models.ModelConfig;
import osprey.models.gguf.TensorInfo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The end-to-end throughput test behind {@code osprey bench}, measured the way llama-bench measures:
 * <ul>
 * <li>{@code ppN}: N random tokens read in one batch into an empty context (prefill), tokens per second;
 * <li>{@code tgN}: N tokens decoded one per forward pass from an empty context, tokens per second.
 * </ul>
 * Each test first runs untimed until its time is stable (warm-up: JIT compilation, page faults of the
 * mapped weights), then {@code repetitions} times timed.
 */
public final class Benchmark {
    private Benchmark() {}

    /** One test's result: tokens per second of each timed repetition. */
    public record Result(String test, int tokens, double[] tokensPerSecond) {
        public double mean() {
            return Arrays.stream(tokensPerSecond).average().orElse(0);
        }

        public double stddev() {
            double m = mean();
            if (tokensPerSecond.length < 2) return 0;
            double ss = 0;
            for (double v : tokensPerSecond) ss += (v - m) * (v - m);
            return Math.sqrt(ss / (tokensPerSecond.length - 1));
        }
    }

    public static Result prefill(Model model, int tokens, int repetitions, Consumer<String> progress) {
        int[] ids = randomTokens(model.config(), tokens, 1);
        int[] positions = new int[tokens];
        Arrays.setAll(positions, i -> i);
        float[] logits = new float[model.config().vocabSize()];
        return measure("pp" + tokens, tokens, repetitions, progress, () -> {
            KvCache cache = model.newKvCache(tokens);
            long t0 = System.nanoTime();
            model.transformer().forward(ids, positions, tokens, cache, false, logits);
            return System.nanoTime() - t0;
        });
    }

    public static Result decode(Model model, int tokens, int repetitions, Consumer<String> progress) {
        int[] ids = randomTokens(model.config(), tokens, 2);
        float[] logits = new float[model.config().vocabSize()];
        int[] one = new int[1], pos = new int[1];
        return measure("tg" + tokens, tokens, repetitions, progress, () -> {
            KvCache cache = model.newKvCache(tokens);
            long t0 = System.nanoTime();
            for (int i = 0; i < tokens; i++) {
                one[0] = ids[i];
                pos[0] = i;
                model.transformer().forward(one, pos, 1, cache, false, logits);
            }
            return System.nanoTime() - t0;
        });
    }

    /**
     * Warm-up, then {@code repetitions} timed runs. A JVM compiles the hot kernels in the background
     * during the first runs (on two cores the compiler competes with the work), so warm-up runs repeat
     * until two in a row agree within 10% (at least one, at most five): what is timed is the compiled
     * engine, as llama-bench times a built binary.
     */
    private static Result measure(String test, int tokens, int repetitions, Consumer<String> progress,
                                  java.util.function.LongSupplier run) {
        long previous = -1;
        for (int w = 1; w <= MAX_WARMUPS; w++) {
            progress.accept(test + " warm-up " + w);
            long t = run.getAsLong();
            if (previous > 0 && Math.abs(t - previous) <= 0.1 * previous) break;
            previous = t;
        }
        double[] tps = new double[repetitions];
        for (int rep = 0; rep < repetitions; rep++) {
            progress.accept(test + " run " + (rep + 1) + "/" + repetitions);
            tps[rep] = tokens * 1e9 / run.getAsLong();
        }
        return new Result(test, tokens, tps);
    }

    private static final int MAX_WARMUPS = 5;

    /**
     * Bytes of weights one decode step reads: every matrix of every layer, the norms, and the output
     * matrix; of the token embedding only one row (unless it is the tied output matrix, read whole).
     */
    public static long weightBytesPerToken(Model model) {
        long total = 0;
        boolean tied = !model.gguf().tensors().containsKey("output.weight");
        for (TensorInfo t : model.gguf().tensors().values()) {
            if (t.name().equals("token_embd.weight") && !tied) {
                total += t.byteSize() / t.shape()[1];
            } else {
                total += t.byteSize();
            }
        }
        return total;
    }

    /** The tensor type holding most of the model's bytes, as llama-bench names a model by it. */
    public static GgmlType mainType(Model model) {
        Map<GgmlType, Long> bytes = new EnumMap<>(GgmlType.class);
        for (TensorInfo t : model.gguf().tensors().values()) bytes.merge(t.type(), t.byteSize(), Long::sum);
        return bytes.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }

    /** Read bandwidth of the model's thread pool in bytes per second (a 1 GiB buffer, best of 10 passes). */
    public static double memoryBandwidth(osprey.engine.ThreadPool pool) {
        return MemoryBandwidth.measureRead(pool, 1L << 30, 10);
    }

    private static int[] randomTokens(ModelConfig c, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = r.nextInt(c.vocabSize());
        return ids;
    }

    /** Results of a whole run, in order. */
    public static List<Result> run(Model model, int prompt, int generate, int repetitions, Consumer<String> progress) {
        List<Result> results = new ArrayList<>();
        if (prompt > 0) results.add(prefill(model, prompt, repetitions, progress));
        if (generate > 0) results.add(decode(model, generate, repetitions, progress));
        return results;
    }
}
