package osprey.engine;

import static jdk.incubator.vector.VectorOperators.EQ;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.S2I;
import static osprey.engine.VectorMath.F;
import static osprey.engine.VectorMath.I;
import static osprey.engine.VectorMath.L;
import static osprey.engine.VectorMath.S;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * IEEE half floats, little-endian. Activations are rounded to half too (llama.cpp's vec_dot_type is
 * F16), and then both sides are multiplied and summed as 32-bit floats, as llama.cpp's AVX path does.
 */
public final class F16Tensor extends FloatTensor {

    F16Tensor(MemorySegment data, long size) {
        super(GgmlType.F16, data, size);
    }

    @Override
    public float getFloat(long index) {
        return Float.float16ToFloat(data.get(SHORT_LE, 2 * index));
    }

    /**
     * Half to float conversion, inline, with integer ops: the Vector API has no half-float conversion
     * (JDK 25), and loading halves into a float[] for the auto-vectorised Float.float16ToFloat was
     * slower. Shifting the sign-extended bits left by 13 puts exponent and mantissa where a float keeps
     * them, still biased by 15; the mask keeps one copy of the sign (the extension left copies in bits
     * 28-30). Read as a float this is the value times 2^-112, whether the half was normal, subnormal
     * (which lands on a float subnormal) or zero, so one exact multiply by 2^112 rebiases it. Only
     * infinity and NaN (exponent 31) need their float exponent (255) set instead, keeping the payload.
     *
     * <p>The conversion is written in the loop, not in a helper: a helper returning a vector that C2
     * declines to inline (it does, for methods it already compiled big) boxes the vector, 30x slower.
     */
    @Override
    public float dot(long from, Activations x, int row, int n) {
        checkDot(from, x, row, n);
        MemorySegment w = data;
        float[] a = x.values();
        int aOff = row * x.cols();
        long wOff = 2 * from;
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + L <= n; i += L) {
            IntVector half = (IntVector) ShortVector.fromMemorySegment(S, w, wOff + 2L * i, LE).convertShape(S2I, I, 0);
            IntVector bits = half.lanewise(LSHL, 13).and(0x8FFF_FFFF);
            IntVector finite = bits.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
            VectorMask<Integer> infOrNaN = bits.and(0x0F80_0000).compare(EQ, 0x0F80_0000);
            FloatVector wv = finite.blend(bits.or(0x7F80_0000), infOrNaN).reinterpretAsFloats();
            acc = wv.fma(FloatVector.fromArray(F, a, aOff + i), acc);
        }
        float sum = VectorMath.sumLanes(acc);
        for (; i < n; i++) {
            sum += Float.float16ToFloat(w.get(SHORT_LE, wOff + 2L * i)) * a[aOff + i];
        }
        return sum;
    }

    /** IEEE half, round to nearest even (as ggml's GGML_FP32_TO_FP16, and F16C). */
    public static void quantize(float[] x, int xOffset, int n, byte[] out, int outOffset) {
        Quantizer.checkArguments(GgmlType.F16, x, xOffset, n, out, outOffset);
        for (int i = 0; i < n; i++) {
            Quantizer.putShortLE(out, outOffset + 2 * i, Float.floatToFloat16(x[xOffset + i]));
        }
    }

    /** Vectorised: the same conversion as {@link #dot}, stored instead of multiplied (prefill panels). */
    @Override
    public void dequantize(long from, float[] out, int outOffset, int n) {
        java.util.Objects.checkFromIndexSize(from, n, size);
        java.util.Objects.checkFromIndexSize(outOffset, n, out.length);
        MemorySegment w = data;
        long wOff = 2 * from;
        int i = 0;
        for (; i + L <= n; i += L) {
            IntVector half = (IntVector) ShortVector.fromMemorySegment(S, w, wOff + 2L * i, LE).convertShape(S2I, I, 0);
            IntVector bits = half.lanewise(LSHL, 13).and(0x8FFF_FFFF);
            IntVector finite = bits.reinterpretAsFloats().mul(0x1p112f).reinterpretAsInts();
            VectorMask<Integer> infOrNaN = bits.and(0x0F80_0000).compare(EQ, 0x0F80_0000);
            finite.blend(bits.or(0x7F80_0000), infOrNaN).reinterpretAsFloats().intoArray(out, outOffset + i);
        }
        for (; i < n; i++) out[outOffset + i] = Float.float16ToFloat(w.get(SHORT_LE, wOff + 2L * i));
    }
}
