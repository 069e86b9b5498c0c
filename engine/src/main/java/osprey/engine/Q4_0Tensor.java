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
 * Q4_0: blocks of 32 weights, each block an fp16 scale d followed by 16 bytes. Byte j holds weight j
 * in its low nibble and weight j + 16 in its high nibble, both stored plus 8: weight = d * (nibble - 8).
 * Multiplied with Q8_0 activations: integer sum per block, then one scale by d_w * d_x, as llama.cpp.
 */
public final class Q4_0Tensor extends FloatTensor {
    static final int BLOCK = 32;
    static final int BLOCK_BYTES = 18;
    /** How many int vectors one byte vector widens into (1, or 2 where a float vector is 128 bits). */
    private static final int PARTS = B.length() / L;

    static {
        if (BLOCK / 2 % B.length() != 0) {
            throw new ExceptionInInitializerError("byte vectors of " + B.length() + " lanes do not tile a Q4_0 block");
        }
    }

    Q4_0Tensor(MemorySegment data, long size) {
        super(GgmlType.Q4_0, data, size);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    @Override
    public float getFloat(long index) {
        long block = (index / BLOCK) * BLOCK_BYTES;
        int j = (int) (index % BLOCK);
        int packed = data.get(ValueLayout.JAVA_BYTE, block + 2 + j % 16) & 0xFF;
        int nibble = j < 16 ? packed & 0x0F : packed >>> 4;
        return Float.float16ToFloat(data.get(SHORT_LE, block)) * (nibble - 8);
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
            for (int c = 0; c < BLOCK / 2; c += B.length()) {
                ByteVector packed = ByteVector.fromMemorySegment(B, w, blk + 2 + c, ByteOrder.LITTLE_ENDIAN);
                // LSHR on byte lanes shifts the unsigned 8-bit value, so no mask is needed after it
                ByteVector lo = packed.and((byte) 0x0F).sub((byte) 8);
                ByteVector hi = packed.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
                ByteVector xlo = ByteVector.fromArray(B, xq, q + c);
                ByteVector xhi = ByteVector.fromArray(B, xq, q + BLOCK / 2 + c);
                for (int p = 0; p < PARTS; p++) {
                    IntVector l = (IntVector) lo.convertShape(VectorOperators.B2I, I, p);
                    IntVector h = (IntVector) hi.convertShape(VectorOperators.B2I, I, p);
                    IntVector xl = (IntVector) xlo.convertShape(VectorOperators.B2I, I, p);
                    IntVector xh = (IntVector) xhi.convertShape(VectorOperators.B2I, I, p);
                    isum = isum.add(l.mul(xl)).add(h.mul(xh));
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
            int q = qOff + b * BLOCK;
            int isum = 0;
            for (int j = 0; j < BLOCK / 2; j++) {
                int packed = data.get(ValueLayout.JAVA_BYTE, blk + 2 + j) & 0xFF;
                isum += ((packed & 0x0F) - 8) * xq[q + j] + ((packed >>> 4) - 8) * xq[q + j + BLOCK / 2];
            }
            sum += Float.float16ToFloat(data.get(SHORT_LE, blk)) * xd[qOff / BLOCK + b] * (float) isum;
        }
        return sum;
    }
}
