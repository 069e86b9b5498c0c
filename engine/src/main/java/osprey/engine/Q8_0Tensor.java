package osprey.engine;

import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.S2I;
import static osprey.engine.VectorMath.F;
import static osprey.engine.VectorMath.I;
import static osprey.engine.VectorMath.L;
import static osprey.engine.VectorMath.QB;
import static osprey.engine.VectorMath.QCHUNK;
import static osprey.engine.VectorMath.QS;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Q8_0: blocks of 32 weights, each block an fp16 scale d followed by 32 signed bytes q; weight = d * q.
 * Multiplied with Q8_0 activations: per block the products of the quants are summed exactly as ints,
 * and only that sum is scaled by d_w * d_x, as llama.cpp does.
 */
public final class Q8_0Tensor extends FloatTensor {
    static final int BLOCK = 32;
    static final int BLOCK_BYTES = 34;
    private static final int HALF = BLOCK / 2;

    static {
        if (HALF % QCHUNK != 0) {
            throw new ExceptionInInitializerError("chunks of " + QCHUNK + " quants do not tile a Q8_0 block");
        }
    }

    Q8_0Tensor(MemorySegment data, long size) {
        super(GgmlType.Q8_0, data, size);
    }

    @Override
    public float getFloat(long index) {
        long block = (index / BLOCK) * BLOCK_BYTES;
        float d = Float.float16ToFloat(data.get(SHORT_LE, block));
        return d * data.get(ValueLayout.JAVA_BYTE, block + 2 + index % BLOCK);
    }

    /**
     * Products are formed in 16-bit lanes (cheaper than 32-bit multiplies), pairing element j with
     * element j + 16 of the block: |weight| <= 128 and |activation| <= 127, so the pair's sum is at most
     * 32512 and still fits. Only then are the lanes widened to ints, converted to float and scaled.
     *
     * <p>Everything stays in this one method on purpose: a helper taking or returning vectors that C2
     * declines to inline (it does, for methods it already compiled big) boxes them, 30x slower. And the
     * first chunk starts the integer sum because C2 does not fold away adding a zero vector.
     */
    @Override
    public float dot(long from, Activations x, int row, int n) {
        checkDot(from, x, row, n);
        MemorySegment w = data;
        short[] xq = x.wideQuants();
        float[] xd = x.scales();
        int qOff = row * x.cols();
        int dOff = qOff / BLOCK;
        long wOff = from / BLOCK * BLOCK_BYTES;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / BLOCK; b++) {
            long blk = wOff + (long) b * BLOCK_BYTES;
            int q = qOff + b * BLOCK;
            ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(QB, w, blk + 2, LE).convertShape(B2S, QS, 0);
            ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(QB, w, blk + 2 + HALF, LE).convertShape(B2S, QS, 0);
            ShortVector p = w0.mul(ShortVector.fromArray(QS, xq, q)).add(w1.mul(ShortVector.fromArray(QS, xq, q + HALF)));
            IntVector isum = (IntVector) p.convertShape(S2I, I, 0);
            for (int part = 1; part < QCHUNK / L; part++) {
                isum = isum.add((IntVector) p.convertShape(S2I, I, part));
            }
            for (int c = QCHUNK; c < HALF; c += QCHUNK) {  // no iterations with AVX-512: one chunk is the block
                w0 = (ShortVector) ByteVector.fromMemorySegment(QB, w, blk + 2 + c, LE).convertShape(B2S, QS, 0);
                w1 = (ShortVector) ByteVector.fromMemorySegment(QB, w, blk + 2 + HALF + c, LE).convertShape(B2S, QS, 0);
                p = w0.mul(ShortVector.fromArray(QS, xq, q + c)).add(w1.mul(ShortVector.fromArray(QS, xq, q + HALF + c)));
                for (int part = 0; part < QCHUNK / L; part++) {
                    isum = isum.add((IntVector) p.convertShape(S2I, I, part));
                }
            }
            float d = Float.float16ToFloat(w.get(SHORT_LE, blk)) * xd[dOff + b];
            acc = ((FloatVector) isum.convert(I2F, 0)).fma(FloatVector.broadcast(F, d), acc);
        }
        return VectorMath.sumLanes(acc);
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

    /**
     * llama.cpp's quantize_row_q8_0_ref: d = max|x| / 127 (stored as fp16), q = roundf(x * (1 / d)),
     * where roundf sends ties away from zero. This is not the activation conversion
     * ({@link Activations#toQ8_0}), which multiplies by 127 / max|x| and rounds ties to even, as
     * llama.cpp's AVX code does: the two can differ by one on a few quants.
     */
    public static void quantize(float[] x, int xOffset, int n, byte[] out, int outOffset) {
        Quantizer.checkArguments(GgmlType.Q8_0, x, xOffset, n, out, outOffset);
        for (int b = 0; b < n / BLOCK; b++) {
            int xb = xOffset + b * BLOCK;
            int o = outOffset + b * BLOCK_BYTES;
            float amax = 0f;
            for (int i = 0; i < BLOCK; i++) {
                amax = Math.max(amax, Math.abs(x[xb + i]));
            }
            float d = amax / 127f;
            float id = d != 0f ? 1f / d : 0f;
            Quantizer.putShortLE(out, o, Float.floatToFloat16(d));
            for (int i = 0; i < BLOCK; i++) {
                out[o + 2 + i] = (byte) roundHalfAway(x[xb + i] * id);
            }
        }
    }

    /** C's roundf: to nearest, ties away from zero (in double, where |x| + 0.5 is exact for a float). */
    static int roundHalfAway(float x) {
        return (int) Math.copySign(Math.floor(Math.abs((double) x) + 0.5), x);
    }

    /**
     * Vectorised for whole blocks (prefill panels, embedding rows): 32 signed bytes widened to floats and
     * scaled by the block's d; exact, as getFloat. Other ranges take the scalar path.
     */
    @Override
    public void dequantize(long from, float[] out, int outOffset, int n) {
        if (!checkDequantize(from, out, outOffset, n, BLOCK)) {
            super.dequantize(from, out, outOffset, n);
            return;
        }
        MemorySegment w = data;
        long blk = from / BLOCK * BLOCK_BYTES;
        for (int b = 0; b < n / BLOCK; b++, blk += BLOCK_BYTES) {
            float d = Float.float16ToFloat(w.get(SHORT_LE, blk));
            for (int j = 0; j < BLOCK; j += L) {
                ((FloatVector) ByteVector.fromMemorySegment(VectorMath.LB, w, blk + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0))
                        .mul(d).intoArray(out, outOffset + b * BLOCK + j);
            }
        }
    }
}
