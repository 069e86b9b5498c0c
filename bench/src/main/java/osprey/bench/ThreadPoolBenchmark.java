package osprey.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import osprey.engine.ThreadPool;

import java.util.concurrent.TimeUnit;

/**
 * The cost of one hand-off to the engine's pool: a parallel loop whose body does (almost) nothing. A
 * decode step of a 16-layer model makes about 100 of them, so this times 100 is the threading overhead
 * per token.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ThreadPoolBenchmark {
    @Param({"1", "2"})
    public int threads;

    private ThreadPool pool;
    private final long[] sink = new long[64];

    @Setup
    public void setup() {
        pool = new ThreadPool(threads);
    }

    @TearDown
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public long[] emptyParallelFor() {
        pool.parallelFor(64, 1, (s, e) -> {
            for (int i = s; i < e; i++) sink[i]++;
        });
        return sink;
    }
}
