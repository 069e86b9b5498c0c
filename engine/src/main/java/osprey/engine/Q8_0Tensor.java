package osprey.engine;

import static osprey.engine.VectorMath.B;
import static osprey.engine.VectorMath.F;
import static osprey.engine.VectorMath.I;
import static osprey.engine.VectorMath.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q8_0: blocks of 32 weights, each block an fp16 scale d followed by 32 signed bytes q; weight = d * q.
 * Multiplied with Q8_0 activations: per block the products of the quants are summed exactly as ints,
 * and only that sum is scaled by d_w * d_x, as llama.cpp does.
 */
public final class Q8_0Tensor extends FloatTensor {
    static final int BLOCK = 32;
    static final int BLOCK_BYTES = 34;
    /** How many int vectors one byte vector widens into (1, or 2 where a float vector is 128 bits). */
    private static final int PARTS = B.length() / L;

    static {
        if (BLOCK % B.length() != 0) {
            throw new ExceptionInInitializerError("byte vectors of " + B.length() + " lanes do not tile a Q8_0 block");
        }
    }

    Q8_0Tensor(MemorySegment data, long size) {
        super(GgmlType.Q8_0, data, size);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public float getFloat(long index) {
        long block = (index / BLOCK) * BLOCK_BYTES;
        float d = Float.float16ToFloat(data.get(SHORT_LE, block));
        return d * data.get(ValueLayout.JAVA_BYTE, block + 2 + index % BLOCK);
    }

    @Override
    public float dot(long from, Activations x, int row, int n) {
        checkDot(from, x, row, n);
        MemorySegment w = data;
        byte[] xq = x.quants();
        float[] xd = x.scales();
        int qOff = row * x.cols();
        int dOff = qOff / BLOCK;
        long wOff = from / BLOCK * BLOCK_BYTES;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / BLOCK; b++) {
            long blk = wOff + (long) b * BLOCK_BYTES;
            int q = qOff + b * BLOCK;
            IntVector isum = IntVector.zero(I);
            for (int c = 0; c < BLOCK; c += B.length()) {
                ByteVector wv = ByteVector.fromMemorySegment(B, w, blk + 2 + c, ByteOrder.LITTLE_ENDIAN);
                ByteVector xv = ByteVector.fromArray(B, xq, q + c);
                for (int p = 0; p < PARTS; p++) {
                    IntVector wi = (IntVector) wv.convertShape(VectorOperators.B2I, I, p);
                    IntVector xi = (IntVector) xv.convertShape(VectorOperators.B2I, I, p);
                    isum = isum.add(wi.mul(xi));
                }
            }
            float d = Float.float16ToFloat(w.get(SHORT_LE, blk)) * xd[dOff + b];
            acc = ((FloatVector) isum.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, d), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public float dotScalar(long from, Activations x, int row, int n) {
        checkDot(from, x, row, n);
        byte[] xq = x.quants();
        float[] xd = x.scales();
        int qOff = row * x.cols();
        long wOff = from / BLOCK * BLOCK_BYTES;
        float sum = 0f;
        for (int b = 0; b < n / BLOCK; b++) {
            long blk = wOff + (long) b * BLOCK_BYTES;
            int isum = 0;
            for (int j = 0; j < BLOCK; j++) {
                isum += data.get(ValueLayout.JAVA_BYTE, blk + 2 + j) * xq[qOff + b * BLOCK + j];
            }
            sum += Float.float16ToFloat(data.get(SHORT_LE, blk)) * xd[qOff / BLOCK + b] * (float) isum;
        }
        return sum;
    }
}
