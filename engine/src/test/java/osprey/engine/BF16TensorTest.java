package osprey.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.util.Random;
import jdk.incubator.vector.IntVector;
import org.junit.jupiter.api.Test;

class BF16TensorTest {

    @Test
    void vectorConversionIsExactForAllBfloat16BitPatterns() {
        int lanes = VectorMath.L;
        int[] bits = new int[lanes];
        float[] got = new float[lanes];
        for (int h = 0; h < 65536; h += lanes) {
            for (int k = 0; k < lanes; k++) {
                bits[k] = (short) (h + k);  // sign-extended, as S2I widens
            }
            BF16Tensor.bf16ToFloat(IntVector.fromArray(VectorMath.I, bits, 0)).intoArray(got, 0);
            for (int k = 0; k < lanes; k++) {
                float expected = Float.intBitsToFloat((h + k) << 16);  // the definition: upper half of a float
                String what = String.format("bf16 0x%04x", h + k);
                if (Float.isNaN(expected)) {
                    assertThat(got[k]).as(what).isNaN();
                } else {
                    assertThat(Float.floatToRawIntBits(got[k])).as(what).isEqualTo(Float.floatToRawIntBits(expected));
                }
            }
        }
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
