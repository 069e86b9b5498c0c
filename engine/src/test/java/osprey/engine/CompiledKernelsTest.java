package osprey.engine;

import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The other kernel tests mostly run interpreted, where the Vector API executes its Java fallbacks.
 * This one calls each dot often enough for C2 to compile it with the real intrinsics, then checks
 * the compiled kernel against the scalar twin again.
 */
class CompiledKernelsTest {

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void compiledDotStillMatchesScalar(GgmlType type) {
        int n = type.blockSize() > 1 ? 4096 : 4096 + 17;
        int rows = 16;
        Random rnd = new Random(type.id());
        try (Arena arena = Arena.ofConfined()) {
            FloatTensor w = TestTensors.random(type, (long) rows * n, rnd, arena);
            Activations x = new Activations(type.activationType());
            x.load(TestTensors.randomFloats(rnd, 2 * n), 0, 2, n);
            float sink = 0;
            for (int it = 0; it < 1500; it++) {
                for (int r = 0; r < rows; r++) {
                    sink += w.dot((long) r * n, x, it & 1, n);
                }
            }
            for (int r = 0; r < rows; r++) {
                TestTensors.assertDotsAgree(w, (long) r * n, x, r & 1, n);
            }
            if (Float.isNaN(sink)) {
                throw new AssertionError("random weights gave NaN");
            }
        }
    }
}
