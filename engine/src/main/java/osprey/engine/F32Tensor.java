package osprey.engine;

import static osprey.engine.VectorMath.F;
import static osprey.engine.VectorMath.L;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** 32-bit floats, little-endian. */
public final class F32Tensor extends FloatTensor {

    F32Tensor(MemorySegment data, long size) {
        super(GgmlType.F32, data, size);
    }

    @Override
    public float getFloat(long index) {
        return data.get(FLOAT_LE, 4 * index);
    }

    @Override
    public float dot(long from, Activations x, int row, int n) {
        checkDot(from, x, row, n);
        MemorySegment w = data;
        float[] a = x.values();
        int aOff = row * x.cols();
        long wOff = 4 * from;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        int i = 0;
        for (; i + 4 * L <= n; i += 4 * L) {
            long o = wOff + 4L * i;
            acc0 = FloatVector.fromMemorySegment(F, w, o, LE).fma(FloatVector.fromArray(F, a, aOff + i), acc0);
            acc1 = FloatVector.fromMemorySegment(F, w, o + 4L * L, LE).fma(FloatVector.fromArray(F, a, aOff + i + L), acc1);
            acc2 = FloatVector.fromMemorySegment(F, w, o + 8L * L, LE).fma(FloatVector.fromArray(F, a, aOff + i + 2 * L), acc2);
            acc3 = FloatVector.fromMemorySegment(F, w, o + 12L * L, LE).fma(FloatVector.fromArray(F, a, aOff + i + 3 * L), acc3);
        }
        for (; i + L <= n; i += L) {
            acc0 = FloatVector.fromMemorySegment(F, w, wOff + 4L * i, LE).fma(FloatVector.fromArray(F, a, aOff + i), acc0);
        }
        float sum = VectorMath.sumLanes(acc0.add(acc1).add(acc2.add(acc3)));
        for (; i < n; i++) {
            sum += w.get(FLOAT_LE, wOff + 4L * i) * a[aOff + i];
        }
        return sum;
    }

    /** Little-endian IEEE floats, bit for bit (NaN payloads included). */
    public static void quantize(float[] x, int xOffset, int n, byte[] out, int outOffset) {
        Quantizer.checkArguments(GgmlType.F32, x, xOffset, n, out, outOffset);
        for (int i = 0; i < n; i++) {
            int bits = Float.floatToRawIntBits(x[xOffset + i]);
            Quantizer.putShortLE(out, outOffset + 4 * i, (short) bits);
            Quantizer.putShortLE(out, outOffset + 4 * i + 2, (short) (bits >>> 16));
        }
    }

    /** A straight copy out of the segment (prefill panels). */
    @Override
    public void dequantize(long from, float[] out, int outOffset, int n) {
        java.util.Objects.checkFromIndexSize(from, n, size);
        java.util.Objects.checkFromIndexSize(outOffset, n, out.length);
        MemorySegment.copy(data, FLOAT_LE, 4 * from, out, outOffset, n);
    }
}
