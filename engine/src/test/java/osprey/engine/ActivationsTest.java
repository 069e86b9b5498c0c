package osprey.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ActivationsTest {

    @Test
    void f32IsCopiedAsIs() {
        Activations x = new Activations(GgmlType.F32);
        x.load(new float[] {9f, 1.1f, -0f, Float.NaN, 3e-40f}, 1, 2, 2);
        assertThat(x.rows()).isEqualTo(2);
        assertThat(x.cols()).isEqualTo(2);
        assertThat(x.values()).startsWith(1.1f, -0f, Float.NaN, 3e-40f);
    }

    @Test
    void f16RoundsToNearestEven() {
        float ulp = 0x1p-10f;  // of a half near 1
        Activations x = new Activations(GgmlType.F16);
        x.load(new float[] {1 + ulp / 2, 1 + 3 * ulp / 2, 1 + ulp / 2 + 0x1p-20f, -(1 + 3 * ulp / 2),
                65520f, 65519f, 0x1p-25f, 0x1.8p-24f, Float.NaN}, 0, 1, 9);
        assertThat(x.values()).startsWith(1f, 1 + 2 * ulp, 1 + ulp, -(1 + 2 * ulp),
                Float.POSITIVE_INFINITY, 65504f, 0f, 0x1p-23f, Float.NaN);
    }

    @Test
    void bf16RoundsToNearestEvenAndKeepsNaNQuiet() {
        float ulp = 0x1p-7f;  // of a bfloat16 near 1
        Activations x = new Activations(GgmlType.BF16);
        x.load(new float[] {1 + ulp / 2, 1 + 3 * ulp / 2, 1 + ulp / 2 + 0x1p-20f, -(1 + 3 * ulp / 2),
                Float.MAX_VALUE, Float.intBitsToFloat(0x7F80_0001), Float.intBitsToFloat(0xFFFF_FFFF),
                Float.NEGATIVE_INFINITY, 1e-45f}, 0, 1, 9);
        float[] v = x.values();
        assertThat(v).startsWith(1f, 1 + 2 * ulp, 1 + ulp, -(1 + 2 * ulp), Float.POSITIVE_INFINITY);
        // a signalling NaN is truncated and made quiet instead of being rounded into infinity
        assertThat(Float.floatToRawIntBits(v[5])).isEqualTo(0x7FC0_0000);
        assertThat(Float.floatToRawIntBits(v[6])).isEqualTo(0xFFFF_0000);
        assertThat(v[7]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Float.floatToRawIntBits(v[8])).isZero();  // the smallest subnormal rounds down to +0
    }

    @Test
    void bf16RoundingPicksTheNearestBfloat16() {
        // independent oracle: of the two bfloat16 values around x, the nearer one; on a tie the even one
        Random rnd = new Random(16);
        for (int k = 0; k < 1_000_000; k++) {
            int u = rnd.nextInt();
            float f = Float.intBitsToFloat(u);
            if (Float.isNaN(f) || Float.isInfinite(f)) {
                continue;
            }
            int down = u & 0xFFFF_0000;
            int up = down + 0x1_0000;  // one bfloat16 step further from zero (may reach infinity)
            double dDown = Math.abs((double) f - Float.intBitsToFloat(down));
            double dUp = Math.abs((double) Float.intBitsToFloat(up) - f);
            if (Float.isInfinite(Float.intBitsToFloat(up))) {
                dUp = Math.abs(Math.scalb((double) Math.signum(f), 128) - f);  // the rounding boundary for overflow
            }
            int expected = dDown < dUp ? down : dUp < dDown ? up : ((down & 0x1_0000) == 0 ? down : up);
            assertThat(Activations.floatToBF16(f) << 16).as("float bits 0x%08x", u).isEqualTo(expected);
        }
    }

    @Test
    void q8_0RoundsHalfToEven() {
        float[] a = new float[32];
        float[] values = {127f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.5f, 126.5f, -126.5f};
        System.arraycopy(values, 0, a, 0, values.length);
        Activations x = new Activations(GgmlType.Q8_0);
        x.load(a, 0, 1, 32);
        assertThat(x.scales()[0]).isEqualTo(1f);
        assertThat(x.quants()).startsWith(new byte[] {127, 0, 2, 2, 0, -2, -2, 4, 126, -126, 0});
    }

    @Test
    void q8_0ScaleIsTheHalfRoundedMaxOver127() {
        float[] a = new float[64];
        a[3] = -254f;        // block 0: negative maximum, d = 2, 127 / max = 0.5
        a[4] = 127f;         // 63.5 -> 64
        a[5] = 1f;           // 0.5 -> 0
        a[32 + 7] = 1f;      // block 1: d = 1 / 127, not representable in half
        a[32 + 8] = -0.5f;   // 63.5 -> -64
        Activations x = new Activations(GgmlType.Q8_0);
        x.load(a, 0, 2, 32);
        assertThat(x.scales()[0]).isEqualTo(2f);
        assertThat(x.quants()[3]).isEqualTo((byte) -127);
        assertThat(x.quants()[4]).isEqualTo((byte) 64);
        assertThat(x.quants()[5]).isEqualTo((byte) 0);
        assertThat(x.scales()[1]).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(1f / 127f)))
                .isNotEqualTo(1f / 127f);
        assertThat(x.quants()[32 + 7]).isEqualTo((byte) 127);
        assertThat(x.quants()[32 + 8]).isEqualTo((byte) -64);
    }

    @Test
    void q8_0ZeroBlockHasZeroScaleAndQuants() {
        float[] a = new float[64];
        a[40] = 3f;
        Activations x = new Activations(GgmlType.Q8_0);
        x.load(a, 0, 1, 64);
        assertThat(x.scales()[0]).isZero();
        for (int i = 0; i < 32; i++) {
            assertThat(x.quants()[i]).isZero();
        }
        assertThat(x.quants()[40]).isEqualTo((byte) 127);
    }

    @Test
    void q8_0NeedsWholeBlocks() {
        Activations x = new Activations(GgmlType.Q8_0);
        assertThatThrownBy(() -> x.load(new float[48], 0, 1, 48))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32").hasMessageContaining("48");
    }

    @Test
    void onlyImplementedFormats() {
        assertThatThrownBy(() -> new Activations(GgmlType.Q8_1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q8_1");
    }

    /**
     * quantize_row_q8_K_ref's sign trick: iscale = -127 / max with max the signed value of largest
     * magnitude, so max maps to -127 and d = 1 / iscale is negative when max is positive.
     */
    @Test
    void q8_KMapsTheLargestValueToMinus127() {
        float[] a = new float[512];
        a[3] = 254f;        // block 0: positive max: iscale = -0.5, d = -2
        a[4] = -127f;       // 63.5 -> 64 (tie to even)
        a[5] = 1f;          // -0.5 -> 0 (tie to even, not away from zero)
        a[6] = -3f;         // 1.5 -> 2
        a[7] = 5f;          // -2.5 -> -2
        a[256 + 9] = -0.75f;   // block 1: negative max: iscale = 127 / 0.75, d = 0.75 / 127 as a float reciprocal
        a[256 + 10] = 0.75f;   // same magnitude, later: the first one is max, this one maps to -127
        a[256 + 11] = 0.375f;  // -63.5 -> -64
        Activations x = new Activations(GgmlType.Q8_K);
        x.load(a, 0, 2, 256);
        assertThat(x.scales()[0]).isEqualTo(-2f);
        assertThat(x.quants()).startsWith(new byte[] {0, 0, 0, -127, 64, 0, 2, -2, 0});
        float iscale = -127f / -0.75f;
        assertThat(x.scales()[1]).isEqualTo(1f / iscale);
        assertThat(x.quants()[256 + 9]).isEqualTo((byte) -127);
        assertThat(x.quants()[256 + 10]).isEqualTo((byte) 127);
        assertThat(x.quants()[256 + 11]).isEqualTo((byte) 64);
    }

    @Test
    void q8_KTiesRoundToEvenAndNothingExceeds127() {
        // 0.5 steps of the scale: with max 127 (iscale exactly -1) the quants are -x, ties to even
        float[] a = new float[256];
        a[0] = 127f;
        float[] ties = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 126.5f, -126.5f, -127f};
        System.arraycopy(ties, 0, a, 1, ties.length);
        Activations x = new Activations(GgmlType.Q8_K);
        x.load(a, 0, 1, 256);
        assertThat(x.scales()[0]).isEqualTo(-1f);
        assertThat(x.quants()).startsWith(new byte[] {-127, 0, -2, -2, 0, 2, 2, -126, 126, 127});
    }

    @Test
    void q8_KBsumsAreSumsOf16QuantsAndAZeroBlockIsAllZero() {
        Random rnd = new Random(8);
        float[] a = TestTensors.randomFloats(rnd, 3 * 512);
        java.util.Arrays.fill(a, 512 + 256, 1024, 0f);   // row 1, block 1: zero
        a[512 + 300] = -0f;
        Activations x = new Activations(GgmlType.Q8_K);
        x.load(a, 0, 3, 512);
        assertThat(x.scales()[3]).isZero();
        for (int i = 512 + 256; i < 1024; i++) {
            assertThat(x.quants()[i]).isZero();
        }
        for (int g = 0; g < 3 * 512 / 16; g++) {
            int sum = 0;
            for (int i = 0; i < 16; i++) {
                sum += x.quants()[16 * g + i];
            }
            assertThat(x.bsums()[g]).as("bsum %d", g).isEqualTo((short) sum);
        }
        // a stale buffer from a larger batch does not leak into a zero block
        x.load(new float[256], 0, 1, 256);
        assertThat(x.scales()[0]).isZero();
        assertThat(x.bsums()).startsWith(new short[16]);
    }

    /** Against an independent oracle: round(x / d) computed in double from the unrounded 127 / max. */
    @Test
    void q8_KQuantsAreTheNearestMultiplesOfTheScale() {
        Random rnd = new Random(81);
        float[] a = TestTensors.randomFloats(rnd, 16 * 256);
        Activations x = new Activations(GgmlType.Q8_K);
        x.load(a, 0, 16, 256);
        for (int b = 0; b < 16; b++) {
            double max = 0;
            for (int i = 0; i < 256; i++) {
                max = Math.abs(a[256 * b + i]) > Math.abs(max) ? a[256 * b + i] : max;
            }
            assertThat((double) x.scales()[b]).isCloseTo(-max / 127, org.assertj.core.api.Assertions.withinPercentage(1e-4));
            for (int i = 0; i < 256; i++) {
                double exact = -127 * a[256 * b + i] / max;
                assertThat(Math.abs(x.quants()[256 * b + i] - exact)).as("block %d element %d", b, i).isLessThanOrEqualTo(0.5 + 1e-4);
            }
        }
    }

    @Test
    void q8_KNeedsWholeBlocks() {
        Activations x = new Activations(GgmlType.Q8_K);
        assertThatThrownBy(() -> x.load(new float[288], 0, 1, 288))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("256").hasMessageContaining("288");
    }

    @Test
    void buffersAreReusedWhenTheBatchDoesNotGrow() {
        Random rnd = new Random(5);
        for (GgmlType format : new GgmlType[] {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q8_K}) {
            Activations x = new Activations(format);
            x.load(TestTensors.randomFloats(rnd, 4 * 512), 0, 4, 512);
            float[] values = x.values();
            byte[] quants = x.quants();
            float[] scales = x.scales();
            short[] bsums = x.bsums();
            x.load(TestTensors.randomFloats(rnd, 256), 0, 1, 256);
            assertThat(x.values()).isSameAs(values);
            assertThat(x.quants()).isSameAs(quants);
            assertThat(x.scales()).isSameAs(scales);
            assertThat(x.bsums()).isSameAs(bsums);
            assertThat(x.rows()).isEqualTo(1);
            assertThat(x.cols()).isEqualTo(256);
        }
    }
}
