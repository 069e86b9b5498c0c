package osprey.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Q6_KTensorTest {

    @Test
    void vectorDotMatchesScalarForBlockMultiples() {
        Random rnd = new Random(61);
        try (Arena arena = Arena.ofConfined()) {
            for (int blocks = 1; blocks <= 12; blocks++) {
                TestTensors.checkDots(GgmlType.Q6_K, 256 * blocks, rnd, arena);
            }
            TestTensors.checkDots(GgmlType.Q6_K, 4096, rnd, arena);
            TestTensors.checkDots(GgmlType.Q6_K, 11008, rnd, arena);
        }
    }

    @Test
    void dequantizeMatchesGetFloat() {
        try (Arena arena = Arena.ofConfined()) {
            TestTensors.checkDequantize(GgmlType.Q6_K, 768, new Random(16), arena);
        }
    }

    /**
     * A block written from the format's description, independently of the class: quant q[e] of element
     * e goes to ql (low 4 bits) and qh (high 2 bits) at the positions ggml's dequantize_row_q6_K reads,
     * sub-block j has int8 scale s[j] (both signs, including -128).
     */
    @Test
    void elementsFollowGgmlsOrder() {
        int[] q = new int[256];
        for (int e = 0; e < 256; e++) {
            q[e] = (e * 37 + 11) % 64;
        }
        int[] s = {-128, 127, 1, -1, 5, -7, 64, -64, 100, 3, -3, 42, -42, 0, 9, -100};
        byte[] block = new byte[210];
        for (int h = 0; h < 2; h++) {
            for (int i = 0; i < 32; i++) {
                int e = 128 * h + i;
                block[64 * h + i] = (byte) ((q[e] & 15) | (q[e + 64] & 15) << 4);
                block[64 * h + 32 + i] = (byte) ((q[e + 32] & 15) | (q[e + 96] & 15) << 4);
                block[128 + 32 * h + i] = (byte) (q[e] >> 4 | (q[e + 32] >> 4) << 2 | (q[e + 64] >> 4) << 4 | (q[e + 96] >> 4) << 6);
            }
        }
        for (int j = 0; j < 16; j++) {
            block[192 + j] = (byte) s[j];
        }
        short d = Float.floatToFloat16(0.125f);
        block[208] = (byte) d;
        block[209] = (byte) (d >> 8);
        FloatTensor t = FloatTensor.of(GgmlType.Q6_K, MemorySegment.ofArray(block), 256);
        for (int e = 0; e < 256; e++) {
            assertThat(t.getFloat(e)).as("element %d", e).isEqualTo(0.125f * s[e / 16] * (q[e] - 32));
        }
        Activations x = new Activations(GgmlType.Q8_K);
        for (int k = 0; k < 256; k += 3) {
            float[] a = new float[256];
            a[k] = -127f;  // the largest value, negative: scale d = 1, quant -127
            x.load(a, 0, 1, 256);
            assertThat(x.scales()[0]).isEqualTo(1f);
            assertThat(t.dot(0, x, 0, 256)).as("dot picks element %d", k).isEqualTo(-127f * t.getFloat(k));
            assertThat(t.dotScalar(0, x, 0, 256)).isEqualTo(-127f * t.getFloat(k));
        }
    }
}
