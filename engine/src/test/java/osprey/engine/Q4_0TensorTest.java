package osprey.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Q4_0TensorTest {

    @Test
    void vectorDotMatchesScalarForBlockMultiples() {
        Random rnd = new Random(40);
        try (Arena arena = Arena.ofConfined()) {
            for (int blocks = 1; blocks <= 12; blocks++) {
                TestTensors.checkDots(GgmlType.Q4_0, 32 * blocks, rnd, arena);
            }
            TestTensors.checkDots(GgmlType.Q4_0, 4096, rnd, arena);
            TestTensors.checkDots(GgmlType.Q4_0, 11008, rnd, arena);
        }
    }

    @Test
    void lowNibblesHoldTheFirstHalfOfTheBlock() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(18);
            seg.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, Float.floatToFloat16(2f));
            for (int j = 0; j < 16; j++) {
                // low nibble j, high nibble 15 - j
                seg.set(ValueLayout.JAVA_BYTE, 2 + j, (byte) (j | (15 - j) << 4));
            }
            FloatTensor t = FloatTensor.of(GgmlType.Q4_0, seg, 32);
            for (int j = 0; j < 16; j++) {
                assertThat(t.getFloat(j)).as("element %d", j).isEqualTo(2f * (j - 8));
                assertThat(t.getFloat(16 + j)).as("element %d", 16 + j).isEqualTo(2f * (15 - j - 8));
            }
            // one-hot activations read the weights back through the dot, in both kernels
            Activations x = new Activations(GgmlType.Q8_0);
            for (int k = 0; k < 32; k++) {
                float[] a = new float[32];
                a[k] = 127f;  // scale 1, quant 127
                x.load(a, 0, 1, 32);
                assertThat(t.dot(0, x, 0, 32)).as("dot picks element %d", k).isEqualTo(127f * t.getFloat(k));
                assertThat(t.dotScalar(0, x, 0, 32)).isEqualTo(127f * t.getFloat(k));
            }
        }
    }

    @Test
    void dequantizeMatchesGetFloat() {
        try (Arena arena = Arena.ofConfined()) {
            TestTensors.checkDequantize(GgmlType.Q4_0, 96, new Random(4), arena);
        }
    }
}
