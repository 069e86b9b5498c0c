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
import osprey.engine.MemoryBandwidth;
import osprey.engine.ThreadPool;

import java.util.concurrent.TimeUnit;

/**
 * The physical limit of decode: read bandwidth of {@code threads} threads over a 1 GiB buffer (the
 * STREAM-like test {@code osprey bench} also prints). Score = GB/s (higher is better).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class MemoryBandwidthBenchmark {
    @Param({"1", "2"})
    public int threads;

    private ThreadPool pool;

    @Setup
    public void setup() {
        pool = new ThreadPool(threads);
    }

    @TearDown
    public void tearDown() {
        pool.close();
    }

    /** Returns GB/s; JMH's time per op is the whole measurement, the returned value is the figure to read. */
    @Benchmark
    public double readGBps() {
        double gbps = MemoryBandwidth.measureRead(pool, 1L << 30, 3) / 1e9;
        System.out.printf("  read bandwidth, %d thread(s): %.1f GB/s%n", threads, gbps);
        return gbps;
    }
}
