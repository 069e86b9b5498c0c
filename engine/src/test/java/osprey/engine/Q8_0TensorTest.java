package osprey.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Q8_0TensorTest {

    @Test
    void vectorDotMatchesScalarForBlockMultiples() {
        Random rnd = new Random(80);
        try (Arena arena = Arena.ofConfined()) {
            for (int blocks = 1; blocks <= 12; blocks++) {
                TestTensors.checkDots(GgmlType.Q8_0, 32 * blocks, rnd, arena);
            }
            TestTensors.checkDots(GgmlType.Q8_0, 4096, rnd, arena);
            TestTensors.checkDots(GgmlType.Q8_0, 11008, rnd, arena);
        }
    }

    @Test
    void blockIsHalfScaleThenSignedBytes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(2 * 34);
            var le = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            seg.set(le, 34, Float.floatToFloat16(0.5f));
            seg.set(ValueLayout.JAVA_BYTE, 34 + 2, (byte) -128);
            seg.set(ValueLayout.JAVA_BYTE, 34 + 2 + 31, (byte) 127);
            FloatTensor t = FloatTensor.of(GgmlType.Q8_0, seg, 64);
            assertThat(t.getFloat(32)).isEqualTo(-64f);
            assertThat(t.getFloat(63)).isEqualTo(63.5f);
            assertThat(t.getFloat(40)).isEqualTo(0f);
        }
    }

    @Test
    void integerSumsAreExactAtTheExtremes() {
        // every weight -128 and every activation -127: each block sums to 32 * 16256 = 520192,
        // beyond what 16-bit lanes could hold
        int n = 4096;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(GgmlType.Q8_0.bytesFor(n));
            var le = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            for (int b = 0; b < n / 32; b++) {
                seg.set(le, 34L * b, Float.floatToFloat16(1f));
                for (int j = 0; j < 32; j++) {
                    seg.set(ValueLayout.JAVA_BYTE, 34L * b + 2 + j, (byte) -128);
                }
            }
            FloatTensor w = FloatTensor.of(GgmlType.Q8_0, seg, n);
            Activations x = new Activations(GgmlType.Q8_0);
            float[] a = new float[n];
            java.util.Arrays.fill(a, -127f);
            x.load(a, 0, 1, n);
            assertThat(w.dot(0, x, 0, n)).isEqualTo(w.dotScalar(0, x, 0, n)).isEqualTo(128f * 127f * n);
        }
    }

    @Test
    void dotNeedsWholeBlocksAndQ8_0Activations() {
        try (Arena arena = Arena.ofConfined()) {
            FloatTensor w = TestTensors.random(GgmlType.Q8_0, 128, new Random(1), arena);
            Activations q = new Activations(GgmlType.Q8_0);
            q.load(new float[64], 0, 1, 64);
            assertThatThrownBy(() -> w.dot(16, q, 0, 64)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("whole blocks");
            Activations f = new Activations(GgmlType.F32);
            f.load(new float[64], 0, 1, 64);
            assertThatThrownBy(() -> w.dot(0, f, 0, 64)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Q8_0").hasMessageContaining("F32");
        }
    }

    @Test
    void dequantizeMatchesGetFloat() {
        try (Arena arena = Arena.ofConfined()) {
            TestTensors.checkDequantize(GgmlType.Q8_0, 96, new Random(8), arena);
        }
    }
}
