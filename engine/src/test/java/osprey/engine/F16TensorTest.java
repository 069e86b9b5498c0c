package osprey.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class F16TensorTest {

    @Test
    void vectorDotReadsEveryBitPatternExactly() {
        TestTensors.checkEveryBitPatternThroughDot(GgmlType.F16, h -> Float.float16ToFloat((short) h));
    }

    @Test
    void vectorDotMatchesScalarForEveryTail() {
        Random rnd = new Random(16);
        try (Arena arena = Arena.ofConfined()) {
            for (int n = 1; n <= 70; n++) {
                TestTensors.checkDots(GgmlType.F16, n, rnd, arena);
            }
            TestTensors.checkDots(GgmlType.F16, 4096 + 17, rnd, arena);
            TestTensors.checkDots(GgmlType.F16, 11008, rnd, arena);
        }
    }

    @Test
    void infinityAndNaNWeightsPropagateLikeTheScalarDot() {
        int n = 4 * VectorMath.L;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(2L * n);
            var le = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                seg.set(le, 2L * i, Float.floatToFloat16(1f));
            }
            FloatTensor w = FloatTensor.of(GgmlType.F16, seg, n);
            Activations x = new Activations(GgmlType.F16);
            float[] ones = new float[n];
            java.util.Arrays.fill(ones, 1f);
            x.load(ones, 0, 1, n);

            seg.set(le, 2L * 3, (short) 0xFC00);  // -inf
            assertThat(w.dot(0, x, 0, n)).isEqualTo(Float.NEGATIVE_INFINITY).isEqualTo(w.dotScalar(0, x, 0, n));
            seg.set(le, 2L * 5, (short) 0x7E01);  // NaN
            assertThat(w.dot(0, x, 0, n)).isNaN();
            assertThat(w.dotScalar(0, x, 0, n)).isNaN();
        }
    }

    @Test
    void dequantizeMatchesGetFloat() {
        try (Arena arena = Arena.ofConfined()) {
            TestTensors.checkDequantize(GgmlType.F16, 77, new Random(2), arena);
        }
    }
}
