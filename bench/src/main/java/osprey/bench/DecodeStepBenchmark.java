package osprey.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import osprey.engine.GgmlType;
import osprey.engine.KvCache;
import osprey.engine.ThreadPool;
import osprey.models.Model;
import osprey.models.Synth;
import osprey.models.gguf.GgufFile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * One decode step (one token through every layer, logits for the vocabulary) of a Llama-shaped model:
 * dim 2048, ffn 8192, 32 heads / 8 KV heads like Llama 3.2 1B, but 4 layers and the 32k Llama 2
 * vocabulary so that the file (written by {@link Synth} into a temporary folder at setup) stays small.
 * Needs ../shared/models/llama.cpp-vocab/ggml-vocab-llama-spm.gguf (or -Dosprey.vocab=FILE).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class DecodeStepBenchmark {
    @Param({"Q8_0", "Q4_0", "F16", "BF16"})
    public String type;

    @Param({"2"})
    public int threads;

    private Path dir;
    private ThreadPool pool;
    private Model model;
    private KvCache cache;
    private final float[] logits = new float[32000];
    private int position;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        Path vocab = Path.of(System.getProperty("osprey.vocab", "../shared/models/llama.cpp-vocab/ggml-vocab-llama-spm.gguf"));
        if (!Files.exists(vocab)) throw new IllegalStateException("vocabulary GGUF not found: " + vocab + " (set -Dosprey.vocab=FILE)");
        dir = Files.createTempDirectory("osprey-bench");
        Path file = dir.resolve("decode-" + type + ".gguf");
        pool = new ThreadPool(threads);
        Synth.Shape shape = new Synth.Shape("bench", "llama", 2048, 4, 32, 8, 8192, 32000, true, 500000f, 1e-5f, 4096, false, false);
        try (GgufFile v = GgufFile.open(vocab)) {
            Synth.write(shape, GgmlType.valueOf(type), v, 1, file, pool, s -> { });
        }
        model = Model.load(file, pool);
        cache = model.newKvCache(4096);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        model.close();
        pool.close();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) Files.delete(p);
        }
        Files.delete(dir);
    }

    @Benchmark
    public float[] decodeStep() {
        if (position == cache.capacity()) position = 0; // reuse the cache: later positions overwrite
        model.transformer().forward(new int[]{1 + position % 31000}, new int[]{position}, 1, cache, false, logits);
        position++;
        return logits;
    }
}
