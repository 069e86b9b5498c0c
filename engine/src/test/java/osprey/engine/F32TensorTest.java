package osprey.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

class F32TensorTest {

    @Test
    void vectorDotMatchesScalarForEveryTail() {
        Random rnd = new Random(32);
        try (Arena arena = Arena.ofConfined()) {
            for (int n = 1; n <= 70; n++) {
                TestTensors.checkDots(GgmlType.F32, n, rnd, arena);
            }
            TestTensors.checkDots(GgmlType.F32, 4096 + 17, rnd, arena);
            TestTensors.checkDots(GgmlType.F32, 11008, rnd, arena);
        }
    }

    @Test
    void dequantizeMatchesGetFloat() {
        try (Arena arena = Arena.ofConfined()) {
            TestTensors.checkDequantize(GgmlType.F32, 77, new Random(1), arena);
        }
    }

    @Test
    void readsLittleEndianFloats() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(8);
            seg.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4, Float.floatToIntBits(-2.5f));
            FloatTensor t = FloatTensor.of(GgmlType.F32, seg, 2);
            assertThat(t.getFloat(0)).isEqualTo(0f);
            assertThat(t.getFloat(1)).isEqualTo(-2.5f);
        }
    }
}
