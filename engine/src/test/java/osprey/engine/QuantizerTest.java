package osprey.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every quantizer against its own dequantization. That they write exactly llama-quantize's bytes is
 * checked on real files in the models module (KQuantDequantizeTest).
 */
class QuantizerTest {

    /** Quantizes {@code x[xOffset..]} at an odd output offset and reads it back through FloatTensor. */
    private static float[] roundTrip(GgmlType type, float[] x, int xOffset, int n) {
        int outOffset = 5;
        byte[] out = new byte[(int) type.bytesFor(n) + outOffset + 3];
        java.util.Arrays.fill(out, (byte) 0x5A);  // stale bytes must all be overwritten
        Quantizer.quantize(type, x, xOffset, n, out, outOffset);
        assertThat(out[outOffset - 1]).as("byte before the output").isEqualTo((byte) 0x5A);
        assertThat(out[outOffset + (int) type.bytesFor(n)]).as("byte after the output").isEqualTo((byte) 0x5A);
        float[] y = new float[n];
        FloatTensor.of(type, MemorySegment.ofArray(out).asSlice(outOffset), n).dequantize(0, y, 0, n);
        return y;
    }

    /**
     * RMS error of N(0, 1) data relative to its std. The bounds sit just above what the formats give:
     * Q8_0 about 0.53 % (a step of max|x| / 127 over blocks of 32), Q6_K 1.8 %, Q4_K 7.3 %, Q4_0 8.6 %.
     */
    @ParameterizedTest
    @CsvSource({"Q8_0, 0.006", "Q6_K, 0.02", "Q4_K, 0.08", "Q4_0, 0.10"})
    void blockTypesRoundTripWithinTheirPrecision(GgmlType type, double bound) {
        Random rnd = new Random(type.id());
        int n = 64 * 256;
        float[] x = new float[n + 7];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] y = roundTrip(type, x, 7, n);
        double err = 0;
        for (int i = 0; i < n; i++) {
            err += (y[i] - x[7 + i]) * (double) (y[i] - x[7 + i]);
        }
        assertThat(Math.sqrt(err / n)).as("%s relative RMS error", type).isLessThan(bound);
    }

    /**
     * Blocks of very different magnitudes: each is quantized against its own scale. (Down to 1e-2: the
     * fp16 scales reach their subnormal range, and lose precision, below about 6e-5; so does llama.cpp.)
     */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void eachBlockKeepsItsOwnScale(GgmlType type) {
        Random rnd = new Random(3);
        int block = type.blockSize();
        int n = 24 * 256;
        float[] x = new float[n];
        for (int b = 0; b < n / block; b++) {
            double scale = Math.pow(10, -2 + 5 * rnd.nextDouble());
            for (int i = 0; i < block; i++) {
                x[b * block + i] = (float) (scale * rnd.nextGaussian());
            }
        }
        float[] y = roundTrip(type, x, 0, n);
        for (int b = 0; b < n / block; b++) {
            double amax = 0;
            double err = 0;
            for (int i = b * block; i < (b + 1) * block; i++) {
                amax = Math.max(amax, Math.abs(x[i]));
                err = Math.max(err, Math.abs(y[i] - x[i]));
            }
            // the coarsest format here, Q4_K, has steps of at most 2 max|x| / 15 plus its rounded scales
            assertThat(err).as("%s block %d", type, b).isLessThanOrEqualTo(0.2 * amax);
        }
    }

    @Test
    void floatTypesRoundExactlyAsTheirConversions() {
        Random rnd = new Random(32);
        float[] x = TestTensors.randomFloats(rnd, 1000);
        x[0] = Float.NaN;
        x[1] = -0f;
        x[2] = Float.NEGATIVE_INFINITY;
        x[3] = 1e-42f;  // subnormal
        x[4] = 65520f;  // rounds to infinity in half
        float[] f32 = roundTrip(GgmlType.F32, x, 0, 1000);
        float[] f16 = roundTrip(GgmlType.F16, x, 0, 1000);
        float[] bf16 = roundTrip(GgmlType.BF16, x, 0, 1000);
        for (int i = 0; i < 1000; i++) {
            assertThat(Float.floatToRawIntBits(f32[i])).isEqualTo(Float.floatToRawIntBits(x[i]));
            assertThat(Float.floatToRawIntBits(f16[i]))
                    .isEqualTo(Float.floatToRawIntBits(Float.float16ToFloat(Float.floatToFloat16(x[i]))));
            assertThat(Float.floatToRawIntBits(bf16[i])).isEqualTo(Activations.floatToBF16(x[i]) << 16);
        }
        assertThat(f16[4]).isEqualTo(Float.POSITIVE_INFINITY);
    }

    /** quantize_row_q8_0_ref rounds with roundf: ties away from zero (the activations round ties to even). */
    @Test
    void q8_0RoundsTiesAwayFromZero() {
        float[] x = new float[32];
        float[] values = {127f, 2.5f, -2.5f, 0.5f, -0.5f, 1.5f, 126.5f};
        System.arraycopy(values, 0, x, 0, values.length);
        float[] y = roundTrip(GgmlType.Q8_0, x, 0, 32);
        assertThat(y).startsWith(127f, 3f, -3f, 1f, -1f, 2f, 127f);
    }

    /** The signed maximum gets d = max / -8: it is exact (quant 0), its opposite clamps to quant 15. */
    @Test
    void q4_0MapsTheLargestValueToTheExtraNegativeLevel() {
        float[] x = new float[32];
        x[0] = 16f;    // d = -2
        x[1] = -16f;   // (8 + 8.5) = 16.5 -> 16 -> 15: weight -2 * 7 = -14
        x[2] = 2f;     // -1 + 8.5 = 7.5 -> 7: weight 2
        x[3] = 2.9f;   // -1.45 + 8.5 = 7.05 -> 7: truncated, not rounded
        x[20] = -3f;   // 1.5 + 8.5 = 10 -> weight -4
        float[] y = roundTrip(GgmlType.Q4_0, x, 0, 32);
        assertThat(y).startsWith(16f, -14f, 2f, 2f);
        assertThat(y[20]).isEqualTo(-4f);
        assertThat(y[31]).isEqualTo(0f);  // 0 -> 8.5 -> 8
    }

    /** The sub-block scale of largest magnitude is stored as -128, whatever its sign. */
    @Test
    void q6_KLargestSubBlockScaleIsMinus128() {
        Random rnd = new Random(6);
        for (float sign : new float[] {1f, -1f}) {
            float[] x = new float[256];
            for (int i = 0; i < 256; i++) {
                x[i] = (float) rnd.nextGaussian() * 0.1f;
            }
            x[77] = 5f * sign;  // sub-block 4 dominates
            byte[] out = new byte[210];
            Quantizer.quantize(GgmlType.Q6_K, x, 0, 256, out, 0);
            assertThat(out[192 + 4]).isEqualTo((byte) -128);
            float y77 = FloatTensor.of(GgmlType.Q6_K, MemorySegment.ofArray(out), 256).getFloat(77);
            assertThat((double) y77).isCloseTo(5.0 * sign, within(5.0 / 32));
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void zeroBlocksStayZero(GgmlType type) {
        float[] x = new float[512];
        x[300] = 1f;  // the second block is not zero: the first must not depend on it
        float[] y = roundTrip(type, x, 0, 512);
        for (int i = 0; i < 256; i++) {
            assertThat(y[i]).as("%s element %d", type, i).isZero();
        }
        assertThat((double) y[300]).isCloseTo(1.0, within(0.01));
    }

    /**
     * A constant block: every quantizer represents it to within its fp16 scale's rounding (for values
     * well above the fp16 subnormal range; a Q4_K block of 1e-3 has d = 1e-3 / 15 / 63, subnormal).
     */
    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void constantBlocksComeBackWithinHalfPrecision(GgmlType type) {
        for (float c : new float[] {0.3f, -7.25f, 100f}) {
            float[] x = new float[256];
            java.util.Arrays.fill(x, c);
            float[] y = roundTrip(type, x, 0, 256);
            for (int i = 0; i < 256; i++) {
                assertThat((double) y[i]).as("%s of %s", type, c).isCloseTo(c, within(Math.abs(c) * 0x1p-10));
            }
        }
    }

    @Test
    void unsupportedTypesAndBadRangesAreRefused() {
        float[] x = new float[512];
        byte[] out = new byte[1024];
        for (GgmlType t : new GgmlType[] {GgmlType.Q5_K, GgmlType.Q8_K, GgmlType.Q4_1, GgmlType.IQ4_XS, GgmlType.I32}) {
            assertThatThrownBy(() -> Quantizer.quantize(t, x, 0, 256, out, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(t.name()).hasMessageContaining("Q6_K");
        }
        assertThatThrownBy(() -> Quantizer.quantize(GgmlType.Q4_K, x, 0, 128, out, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("256").hasMessageContaining("128");
        assertThatThrownBy(() -> Quantizer.quantize(GgmlType.Q6_K, x, 0, 512, new byte[419], 0))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> Quantizer.quantize(GgmlType.Q8_0, x, 500, 32, out, 0))
                .isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> Quantizer.quantize(GgmlType.F16, x, 0, 4, out, 1021))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }
}
