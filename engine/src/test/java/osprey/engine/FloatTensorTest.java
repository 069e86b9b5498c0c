package osprey.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class FloatTensorTest {

    @Test
    void ofBuildsOneClassPerTypeWithKernels() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(1024);
            for (GgmlType t : GgmlType.values()) {
                if (t.hasKernels()) {
                    FloatTensor tensor = FloatTensor.of(t, seg, 256);
                    assertThat(tensor.type()).isEqualTo(t);
                    assertThat(tensor.size()).isEqualTo(256);
                } else {
                    assertThatThrownBy(() -> FloatTensor.of(t, seg, 256))
                            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(t.name());
                }
            }
        }
    }

    @Test
    void segmentMustHoldTheWholeTensor() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(33);
            assertThatThrownBy(() -> FloatTensor.of(GgmlType.Q8_0, seg, 32))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("34");
            assertThatThrownBy(() -> FloatTensor.of(GgmlType.Q4_0, seg, 48))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q4_0");
        }
    }

    @Test
    void dotStaysInsideTheTensor() {
        try (Arena arena = Arena.ofConfined()) {
            FloatTensor w = FloatTensor.of(GgmlType.F32, arena.allocate(4 * 10), 8);
            Activations x = new Activations(GgmlType.F32);
            x.load(new float[8], 0, 1, 8);
            assertThat(w.dot(0, x, 0, 8)).isZero();
            assertThatThrownBy(() -> w.dot(1, x, 0, 8)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> w.dot(0, x, 1, 8)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> w.getFloat(8)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }
}
