package osprey.engine;

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
import jdk.incubator.vector.VectorOperators;

/**
 * bfloat16: the upper 16 bits of a float32, little-endian. Activations are rounded to bfloat16 too
 * (llama.cpp's vec_dot_type is BF16); products are summed as 32-bit floats.
 */
public final class BF16Tensor extends FloatTensor {

    BF16Tensor(MemorySegment data, long size) {
        super(GgmlType.BF16, data, size);
    }

    @Override
    public float getFloat(long index) {
        return Float.intBitsToFloat(data.get(SHORT_LE, 2 * index) << 16);
    }

    /**
     * bfloat16 to float is a shift of the (sign-extended) bits by 16, which also drops the extension.
     * Written in the loop rather than a helper, for the reason given at {@link F16Tensor#dot}.
     */
    @Override
    public float dot(long from, Activations x, int row, int n) {
        checkDot(from, x, row, n);
        MemorySegment w = data;
        float[] a = x.values();
        int aOff = row * x.cols();
        long wOff = 2 * from;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        int i = 0;
        for (; i + 2 * L <= n; i += 2 * L) {
            long o = wOff + 2L * i;
            IntVector w0 = (IntVector) ShortVector.fromMemorySegment(S, w, o, LE).convertShape(S2I, I, 0);
            IntVector w1 = (IntVector) ShortVector.fromMemorySegment(S, w, o + 2L * L, LE).convertShape(S2I, I, 0);
            acc0 = w0.lanewise(LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, a, aOff + i), acc0);
            acc1 = w1.lanewise(LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, a, aOff + i + L), acc1);
        }
        float sum = VectorMath.sumLanes(acc0.add(acc1));
        for (; i < n; i++) {
            sum += Float.intBitsToFloat(w.get(SHORT_LE, wOff + 2L * i) << 16) * a[aOff + i];
        }
        return sum;
    }

    /** bfloat16 as ggml's fp32_to_bf16: round to nearest even, NaN kept quiet ({@link Activations#floatToBF16}). */
    public static void quantize(float[] x, int xOffset, int n, byte[] out, int outOffset) {
        Quantizer.checkArguments(GgmlType.BF16, x, xOffset, n, out, outOffset);
        for (int i = 0; i < n; i++) {
            Quantizer.putShortLE(out, outOffset + 2 * i, (short) Activations.floatToBF16(x[xOffset + i]));
        }
    }

    /** Vectorised: a bfloat16 is the top half of a float, so widening is a 16-bit shift (prefill panels). */
    @Override
    public void dequantize(long from, float[] out, int outOffset, int n) {
        java.util.Objects.checkFromIndexSize(from, n, size);
        java.util.Objects.checkFromIndexSize(outOffset, n, out.length);
        MemorySegment w = data;
        long wOff = 2 * from;
        int i = 0;
        for (; i + L <= n; i += L) {
            IntVector v = (IntVector) ShortVector.fromMemorySegment(S, w, wOff + 2L * i, LE).convertShape(S2I, I, 0);
            v.lanewise(LSHL, 16).reinterpretAsFloats().intoArray(out, outOffset + i);
        }
        for (; i < n; i++) out[outOffset + i] = Float.intBitsToFloat(w.get(SHORT_LE, wOff + 2L * i) << 16);
    }
}
