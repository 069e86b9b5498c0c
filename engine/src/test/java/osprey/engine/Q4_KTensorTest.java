package osprey.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Q4_KTensorTest {
    @Test
    void vectorDotMatchesScalarForBlockMultiples() {
        Random rnd = new Random(41);
        try (Arena arena = Arena.ofConfined()) {
            for (int blocks = 1; blocks <= 12; blocks++) {
                TestTensors.checkDots(GgmlType.Q4_K, 256 * blocks, rnd, arena);
            }
            TestTensors.checkDots(GgmlType.Q4_K, 4096, rnd, arena);
            TestTensors.checkDots(GgmlType.Q4_K, 11008, rnd, arena);
        }
    }

    @Test
    void dequantizeMatchesGetFloat() {
        try (Arena arena = Arena.ofConfined()) {
            TestTensors.checkDequantize(GgmlType.Q4_K, 768, new Random(12), arena);
        }
    }

    /**
     * A block built from the format's description, independently of the class: sub-block j has scale
     * 7 + 8 j and min 60 - 7 j (6-bit values whose high bits differ, so the packing of scales and mins
     * 4-7 matters), and every element its own quant, so a wrong nibble or run shows.
     */
    @Test
    void elementsFollowGgmlsOrderAndScalePacking() {
        int[] sc = new int[8];
        int[] mn = new int[8];
        for (int j = 0; j < 8; j++) {
            sc[j] = 7 + 8 * j;   // 7 .. 63: the high two bits vary, also for j >= 4
            mn[j] = 60 - 7 * j;
        }
        int[] quant = new int[256];
        for (int e = 0; e < 256; e++) {
            quant[e] = (e * 7 + e / 32) % 16;
        }
        byte[] block = new byte[144];
        short d = Float.floatToFloat16(0.5f);
        short dmin = Float.floatToFloat16(0.25f);
        block[0] = (byte) d;
        block[1] = (byte) (d >> 8);
        block[2] = (byte) dmin;
        block[3] = (byte) (dmin >> 8);
        for (int j = 0; j < 4; j++) {
            // bytes 0-3: scale j (6 bits) + top 2 bits of scale j+4; bytes 4-7: same for mins;
            // bytes 8-11: low 4 bits of scale j+4 | low 4 bits of min j+4 << 4
            block[4 + j] = (byte) (sc[j] | (sc[j + 4] >> 4) << 6);
            block[4 + j + 4] = (byte) (mn[j] | (mn[j + 4] >> 4) << 6);
            block[4 + j + 8] = (byte) ((sc[j + 4] & 15) | (mn[j + 4] & 15) << 4);
        }
        for (int r = 0; r < 4; r++) {
            for (int i = 0; i < 32; i++) {
                block[16 + 32 * r + i] = (byte) (quant[64 * r + i] | quant[64 * r + 32 + i] << 4);
            }
        }
        FloatTensor t = FloatTensor.of(GgmlType.Q4_K, MemorySegment.ofArray(block), 256);
        for (int e = 0; e < 256; e++) {
            int j = e / 32;
            float expected = 0.5f * sc[j] * quant[e] - 0.25f * mn[j];
            assertThat(t.getFloat(e)).as("element %d", e).isEqualTo(expected);
        }
        // one-hot activations read each weight back through both dots (scale 1: the quant 127 is 127)
        Activations x = new Activations(GgmlType.Q8_K);
        for (int k = 0; k < 256; k += 5) {
            float[] a = new float[256];
            a[k] = 127f;
            x.load(a, 0, 1, 256);
            assertThat(x.scales()[0]).isEqualTo(-1f);  // the largest value maps to -127
            assertThat(t.dot(0, x, 0, 256)).as("dot picks element %d", k).isEqualTo(127f * t.getFloat(k));
            assertThat(t.dotScalar(0, x, 0, 256)).isEqualTo(127f * t.getFloat(k));
        }
    }
}
