package osprey.engine;

import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2S;
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
 * Q4_0: blocks of 32 weights, each block an fp16 scale d followed by 16 bytes. Byte j holds weight j
 * in its low nibble and weight j + 16 in its high nibble, both stored plus 8: weight = d * (nibble - 8).
 * Multiplied with Q8_0 activations: integer sum per block, then one scale by d_w * d_x, as llama.cpp.
 */
public final class Q4_0Tensor extends FloatTensor {
    static final int BLOCK = 32;
    static final int BLOCK_BYTES = 18;
    private static final int HALF = BLOCK / 2;

    static {
        if (HALF % QCHUNK != 0) {
            throw new ExceptionInInitializerError("chunks of " + QCHUNK + " quants do not tile a Q4_0 block");
        }
    }

    Q4_0Tensor(MemorySegment data, long size) {
        super(GgmlType.Q4_0, data, size);
    }

    @Override
    public float getFloat(long index) {
        long block = (index / BLOCK) * BLOCK_BYTES;
        int j = (int) (index % BLOCK);
        int packed = data.get(ValueLayout.JAVA_BYTE, block + 2 + j % 16) & 0xFF;
        int nibble = j < 16 ? packed & 0x0F : packed >>> 4;
        return Float.float16ToFloat(data.get(SHORT_LE, block)) * (nibble - 8);
    }

    /**
     * Nibbles are split and multiplied in 16-bit lanes: each lane pairs weight j with weight j + 16,
     * whose quant products sum to at most 2 * 8 * 127, then widens to int for the block sum.
     * One method, first chunk starting the sum: for the same reasons as {@link Q8_0Tensor#dot}.
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
            long qs = wOff + (long) b * BLOCK_BYTES + 2;
            int q = qOff + b * BLOCK;
            // zero-extended, so the high nibble is a plain shift and the low one a mask
            ShortVector packed = (ShortVector) ByteVector.fromMemorySegment(QB, w, qs, LE).convertShape(ZERO_EXTEND_B2S, QS, 0);
            ShortVector lo = packed.and((short) 0x0F).sub((short) 8);
            ShortVector hi = packed.lanewise(LSHR, 4).sub((short) 8);
            ShortVector p = lo.mul(ShortVector.fromArray(QS, xq, q)).add(hi.mul(ShortVector.fromArray(QS, xq, q + HALF)));
            IntVector isum = (IntVector) p.convertShape(S2I, I, 0);
            for (int part = 1; part < QCHUNK / L; part++) {
                isum = isum.add((IntVector) p.convertShape(S2I, I, part));
            }
            for (int c = QCHUNK; c < HALF; c += QCHUNK) {  // no iterations with AVX-512: one chunk is the block
                packed = (ShortVector) ByteVector.fromMemorySegment(QB, w, qs + c, LE).convertShape(ZERO_EXTEND_B2S, QS, 0);
                lo = packed.and((short) 0x0F).sub((short) 8);
                hi = packed.lanewise(LSHR, 4).sub((short) 8);
                p = lo.mul(ShortVector.fromArray(QS, xq, q + c)).add(hi.mul(ShortVector.fromArray(QS, xq, q + HALF + c)));
                for (int part = 0; part < QCHUNK / L; part++) {
                    isum = isum.add((IntVector) p.convertShape(S2I, I, part));
                }
            }
            float d = Float.float16ToFloat(w.get(SHORT_LE, qs - 2)) * xd[dOff + b];
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

    /**
     * llama.cpp's quantize_row_q4_0_ref: the element of largest magnitude, sign kept, is max;
     * d = max / -8 (fp16), so that max maps to quant 0 (-8, the end with one more level);
     * q = min(15, (int8) (x * (1 / d) + 8.5f)), the float sum truncated toward zero.
     */
    public static void quantize(float[] x, int xOffset, int n, byte[] out, int outOffset) {
        Quantizer.checkArguments(GgmlType.Q4_0, x, xOffset, n, out, outOffset);
        for (int b = 0; b < n / BLOCK; b++) {
            int xb = xOffset + b * BLOCK;
            int o = outOffset + b * BLOCK_BYTES;
            float amax = 0f;
            float max = 0f;
            for (int i = 0; i < BLOCK; i++) {
                if (amax < Math.abs(x[xb + i])) {
                    amax = Math.abs(x[xb + i]);
                    max = x[xb + i];
                }
            }
            float d = max / -8;
            float id = d != 0f ? 1f / d : 0f;
            Quantizer.putShortLE(out, o, Float.floatToFloat16(d));
            for (int i = 0; i < HALF; i++) {
                int lo = Math.min(15, (int) (x[xb + i] * id + 8.5f));
                int hi = Math.min(15, (int) (x[xb + HALF + i] * id + 8.5f));
                out[o + 2 + i] = (byte) (lo | hi << 4);
            }
        }
    }

    /**
     * Vectorised for whole blocks (prefill panels, embedding rows): low nibbles are weights 0..15, high
     * nibbles 16..31, each minus 8, times d; exact, as getFloat. Other ranges take the scalar path.
     */
    @Override
    public void dequantize(long from, float[] out, int outOffset, int n) {
        if (!checkDequantize(from, out, outOffset, n, HALF)) {
            super.dequantize(from, out, outOffset, n);
            return;
        }
        MemorySegment w = data;
        long blk = from / BLOCK * BLOCK_BYTES;
        for (int b = 0; b < n / BLOCK; b++, blk += BLOCK_BYTES) {
            float d = Float.float16ToFloat(w.get(SHORT_LE, blk));
            int o = outOffset + b * BLOCK;
            for (int j = 0; j < HALF; j += L) {
                ByteVector packed = ByteVector.fromMemorySegment(VectorMath.LB, w, blk + 2 + j, LE);
                ByteVector lo = packed.and((byte) 0x0F).sub((byte) 8);
                ByteVector hi = packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).sub((byte) 8);
                ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(out, o + j);
                ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(out, o + HALF + j);
            }
        }
    }
}
