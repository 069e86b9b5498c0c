package osprey.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The kernels are written for any vector width, but this machine runs only its own. This test runs the
 * vector-vs-scalar checks again in child JVMs whose vectors are capped at 256 bits (8 float lanes, as
 * AVX2) and 128 bits (4 lanes, as NEON on Apple and most ARM servers), where the K-quant kernels take
 * their other paths (several chunks per sub-block, broadcast scales, two parts of the mins term).
 */
class NarrowVectorKernelsTest {

    @ParameterizedTest
    @ValueSource(ints = {32, 16})
    void kernelsMatchScalarWithNarrowerVectors(int maxVectorBytes) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(List.of(java.toString(), "-XX:MaxVectorSize=" + maxVectorBytes,
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                Child.class.getName(), Integer.toString(maxVectorBytes / 4)));
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("child JVM with %d-byte vectors said:%n%s", maxVectorBytes, output).isZero();
        assertThat(output).contains("checked " + maxVectorBytes / 4 + " lanes");
    }

    /** The child: every kernel type's dot and dequantize against their scalar twins, as the per-type tests do. */
    static final class Child {
        public static void main(String[] args) {
            int lanes = Integer.parseInt(args[0]);
            if (VectorMath.L != lanes) {
                throw new AssertionError("expected " + lanes + " float lanes, got " + VectorMath.L);
            }
            Random rnd = new Random(lanes);
            try (Arena arena = Arena.ofConfined()) {
                for (GgmlType type : GgmlType.values()) {
                    if (!type.hasKernels()) {
                        continue;
                    }
                    int block = Math.max(type.blockSize(), 7);  // float types: odd lengths, so tails run too
                    for (int blocks = 1; blocks <= 4; blocks++) {
                        TestTensors.checkDots(type, block * blocks, rnd, arena);
                    }
                    TestTensors.checkDots(type, 4096, rnd, arena);
                    TestTensors.checkDequantize(type, 3 * block, rnd, arena);
                }
            }
            System.out.println("checked " + lanes + " lanes");
        }
    }
}
