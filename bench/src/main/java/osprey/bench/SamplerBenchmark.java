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
import org.openjdk.jmh.annotations.Warmup;
import osprey.models.Sampler;
import osprey.models.SamplerConfig;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/** Cost of choosing one token from a Llama-3-sized vocabulary (128256 logits), per sampler setting. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class SamplerBenchmark {
    @Param({"greedy", "default", "top-k-0"})
    public String setting;

    private float[] logits;
    private float[] work;
    private Sampler sampler;
    private final int[] recent = new int[64];

    @Setup
    public void setup() {
        SplittableRandom r = new SplittableRandom(5);
        logits = new float[128256];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) (r.nextGaussian() * 2);
        work = new float[logits.length];
        SamplerConfig c = switch (setting) {
            case "greedy" -> SamplerConfig.greedy();
            case "default" -> SamplerConfig.defaults(1);
            case "top-k-0" -> new SamplerConfig(0.8f, 0, 0.95f, 0.05f, 1.1f, 64, 1);
            default -> throw new IllegalArgumentException(setting);
        };
        sampler = new Sampler(c);
        for (int i = 0; i < recent.length; i++) recent[i] = r.nextInt(logits.length);
    }

    @Benchmark
    public int sample() {
        System.arraycopy(logits, 0, work, 0, logits.length);
        return sampler.sample(work, recent, recent.length);
    }
}
