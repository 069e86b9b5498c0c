package osprey.engine;

import static osprey.engine.VectorMath.F;
import static osprey.engine.VectorMath.I;
import static osprey.engine.VectorMath.L;
import static osprey.engine.VectorMath.S;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
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
    public GgmlType type() {
        return GgmlType.BF16;
    }

    @Override
    public float getFloat(long index) {
        return Float.intBitsToFloat(data.get(SHORT_LE, 2 * index) << 16);
    }

    /** bfloat16 bits (sign-extended to int lanes) to floats: the shift drops the extension. Exact. */
    static FloatVector bf16ToFloat(IntVector bits) {
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static FloatVector load(MemorySegment w, long offset) {
        ShortVector h = ShortVector.fromMemorySegment(S, w, offset, ByteOrder.LITTLE_ENDIAN);
        return bf16ToFloat((IntVector) h.convertShape(VectorOperators.S2I, I, 0));
    }

    @Override
    public float dot(long from, Activations x, int row, int n) {
        checkDot(from, x, row, n);
        MemorySegment w = data;
        float[] a = x.values();
        int aOff = row * x.cols();
        long wOff = 2 * from;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            long o = wOff + 2L * i;
            acc0 = load(w, o).fma(FloatVector.fromArray(F, a, aOff + i), acc0);
            acc1 = load(w, o + 2L * L).fma(FloatVector.fromArray(F, a, aOff + i + L), acc1);
            acc2 = load(w, o + 4L * L).fma(FloatVector.fromArray(F, a, aOff + i + 2 * L), acc2);
            acc3 = load(w, o + 6L * L).fma(FloatVector.fromArray(F, a, aOff + i + 3 * L), acc3);
        }
        for (; i + L <= n; i += L) {
            acc0 = load(w, wOff + 2L * i).fma(FloatVector.fromArray(F, a, aOff + i), acc0);
        }
        float sum = acc0.add(acc1).add(acc2.add(acc3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += Float.intBitsToFloat(w.get(SHORT_LE, wOff + 2L * i) << 16) * a[aOff + i];
        }
        return sum;
    }

    @Override
    public float dotScalar(long from, Activations x, int row, int n) {
        checkDot(from, x, row, n);
        float[] a = x.values();
        int aOff = row * x.cols();
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += getFloat(from + i) * a[aOff + i];
        }
        return sum;
    }
}
