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
import osprey.engine.Activations;
import osprey.engine.FloatTensor;
import osprey.engine.GgmlType;
import osprey.engine.Gemm;
import osprey.engine.Matmul;
import osprey.engine.Quantizer;
import osprey.engine.ThreadPool;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Matmul per tensor type at a Llama-3.2-1B FFN shape (2048 x 8192): {@code tokens = 1} is a decode step,
 * bound by memory bandwidth (GB/s = weight bytes / time; use {@code -p nOut=131072} for a matrix far larger
 * than the caches); {@code tokens = 128} is prefill, bound by arithmetic (GFLOP/s = 2 x 2048 x 8192 x 128 /
 * time). Each run prints both figures after the JMH table.
 *
 * <p>Run: {@code bench/run MatmulBenchmark} (see README).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MatmulBenchmark {
    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    public String type;

    @Param({"2048"})
    public int nIn;

    @Param({"8192"})
    public int nOut;

    @Param({"2"})
    public int threads;

    @Param({"1"})
    public int tokens;

    private Arena arena;
    private FloatTensor weights;
    private Activations x;
    private float[] out;
    private ThreadPool pool;

    @Setup(Level.Trial)
    public void setup() {
        GgmlType t = GgmlType.valueOf(type);
        long elements = (long) nIn * nOut;
        arena = Arena.ofShared();
        MemorySegment seg = arena.allocate(t.bytesFor(elements), 64);
        fillRandom(t, seg, elements);
        weights = FloatTensor.of(t, seg, elements);
        float[] input = new float[tokens * nIn];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < input.length; i++) input[i] = (float) r.nextGaussian();
        x = new Activations(t.activationType());
        x.load(input, 0, tokens, nIn);
        out = new float[tokens * nOut];
        pool = new ThreadPool(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        long t0 = System.nanoTime();
        int reps = 5;
        for (int i = 0; i < reps; i++) matmul();
        double seconds = (System.nanoTime() - t0) / 1e9 / reps;
        GgmlType t = GgmlType.valueOf(type);
        System.out.printf("%n  %s x %d tokens: %.1f GB/s of weights, %.1f GFLOP/s%n", type, tokens,
                t.bytesFor((long) nIn * nOut) / seconds / 1e9, 2.0 * nIn * nOut * tokens / seconds / 1e9);
        pool.close();
        arena.close();
    }

    /** The kernel the forward pass uses for this many tokens: streaming dots for decode, the tiled GEMM for prefill. */
    @Benchmark
    public float[] matmul() {
        if (tokens >= 8) Gemm.matmul(pool, weights, nIn, nOut, x, out);
        else Matmul.matmul(pool, weights, nIn, nOut, x, out);
        return out;
    }

    /** Random weights in the type's layout, with sane scales (random bytes would make NaN/huge f16 scales). */
    static void fillRandom(GgmlType t, MemorySegment seg, long elements) {
        SplittableRandom r = new SplittableRandom(42);
        var shortLe = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        var floatLe = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        switch (t) {
            case F32 -> { for (long i = 0; i < elements; i++) seg.set(floatLe, 4 * i, (float) r.nextGaussian()); }
            case F16 -> { for (long i = 0; i < elements; i++) seg.set(shortLe, 2 * i, Float.floatToFloat16((float) r.nextGaussian())); }
            case BF16 -> { for (long i = 0; i < elements; i++) seg.set(shortLe, 2 * i, (short) (Float.floatToIntBits((float) r.nextGaussian()) >>> 16)); }
            default -> {
                // Quantized types: quantize Gaussian rows with the engine's own quantizer, a row at a time.
                int row = 2048;
                float[] x = new float[row];
                byte[] bytes = new byte[(int) t.bytesFor(row)];
                for (long at = 0; at < elements; at += row) {
                    for (int i = 0; i < row; i++) x[i] = (float) r.nextGaussian();
                    Quantizer.quantize(t, x, 0, row, bytes, 0);
                    MemorySegment.copy(bytes, 0, seg, ValueLayout.JAVA_BYTE, t.bytesFor(at), bytes.length);
                }
            }
        }
    }
}
