package osprey.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BF16TensorTest {

    @Test
    void vectorDotReadsEveryBitPatternExactly() {
        // the definition: bfloat16 is the upper half of a float
        TestTensors.checkEveryBitPatternThroughDot(GgmlType.BF16, h -> Float.intBitsToFloat(h << 16));
    }

    @Test
    void vectorDotMatchesScalarForEveryTail() {
        Random rnd = new Random(30);
        try (Arena arena = Arena.ofConfined()) {
            for (int n = 1; n <= 70; n++) {
                TestTensors.checkDots(GgmlType.BF16, n, rnd, arena);
            }
            TestTensors.checkDots(GgmlType.BF16, 4096 + 17, rnd, arena);
            TestTensors.checkDots(GgmlType.BF16, 11008, rnd, arena);
        }
    }

    @Test
    void dequantizeMatchesGetFloat() {
        try (Arena arena = Arena.ofConfined()) {
            TestTensors.checkDequantize(GgmlType.BF16, 77, new Random(3), arena);
        }
    }
}
