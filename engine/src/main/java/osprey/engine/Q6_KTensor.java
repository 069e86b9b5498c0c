package osprey.engine;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2S;
import static osprey.engine.VectorMath.F;
import static osprey.engine.VectorMath.I;
import static osprey.engine.VectorMath.KB;
import static osprey.engine.VectorMath.KCHUNK;
import static osprey.engine.VectorMath.KS;
import static osprey.engine.VectorMath.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q6_K: super-blocks of 256 weights in 16 sub-blocks of 16, 210 bytes each:
 * <pre>
 *    0  128 bytes  ql: low 4 bits of the quants
 *  128   64 bytes  qh: high 2 bits of the quants
 *  192   16 bytes  int8 scale of each sub-block
 *  208  fp16 d
 * </pre>
 * weight = d * scale_{e / 16} * (q - 32), q the 6-bit unsigned quant. The bits are not in element
 * order: each half h (128 elements) uses ql bytes 64 h .. 64 h + 63 and qh bytes 32 h .. 32 h + 31, and
 * for i in 0..31 element 128 h + 32 g + i (g = 0..3) takes
 * <pre>
 *   g = 0: low nibble of ql[64 h + i],       bits 0-1 of qh[32 h + i]
 *   g = 1: low nibble of ql[64 h + 32 + i],  bits 2-3
 *   g = 2: high nibble of ql[64 h + i],      bits 4-5
 *   g = 3: high nibble of ql[64 h + 32 + i], bits 6-7
 * </pre>
 * Multiplied with Q8_K activations as llama.cpp's ggml_vec_dot_q6_K_q8_K: per super-block the integer
 * sum over sub-blocks of scale * (sum of (q - 32) * x_q), scaled once by d * d_x.
 */
public final class Q6_KTensor extends FloatTensor {
    static final int BLOCK = 256;
    static final int BLOCK_BYTES = 210;
    private static final int QH = 128;
    private static final int SCALES = 192;
    private static final int D = 208;
    private static final int SUB = 16;
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    /** The 16 scale bytes, widened to 16 ints ({@link #dotWide} only). */
    private static final VectorSpecies<Byte> SCALE_BYTES = ByteVector.SPECIES_128;
    /**
     * For {@link #dotWide}: shuffle k (0..7) spreads scales 2k and 2k + 1 over the low and high 8 lanes,
     * the sub-blocks of the k-th folded product vector of a super-block.
     */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Integer>[] SCALE_PAIRS = new VectorShuffle[8];

    static {
        // a folded product vector (L ints, 2 L elements) must lie in one sub-block of 16 or span two exactly
        if (L > 16 || SUB % L != 0) {
            throw new ExceptionInInitializerError(L + " lanes do not tile Q6_K's sub-blocks of 16");
        }
        if (L == 16) {
            for (int k = 0; k < 8; k++) {
                int first = 2 * k;
                SCALE_PAIRS[k] = VectorShuffle.fromOp(I, i -> first + i / 8);
            }
        }
    }

    Q6_KTensor(MemorySegment data, long size) {
        super(GgmlType.Q6_K, data, size);
    }

    /** The unsigned 6-bit quant of element e (0..255) of the super-block at {@code blk}. */
    static int quant(MemorySegment s, long blk, int e) {
        int h = e / 128;
        int g = e % 128 / 32;
        int i = e % 32;
        int ql = s.get(ValueLayout.JAVA_BYTE, blk + 64 * h + 32 * (g & 1) + i) & 0xFF;
        int qh = s.get(ValueLayout.JAVA_BYTE, blk + QH + 32 * h + i) & 0xFF;
        return (g < 2 ? ql & 0xF : ql >>> 4) | (qh >>> 2 * g & 3) << 4;
    }

    /**
     * d * scale * (q - 32), exact in float whatever the order, as in ggml's dequantize_row_q6_K:
     * |d's significand| < 2^11, |scale| <= 2^7 and |q - 32| <= 2^5 leave a product within 24 bits.
     */
    @Override
    public float getFloat(long index) {
        long blk = index / BLOCK * BLOCK_BYTES;
        int e = (int) (index % BLOCK);
        float d = Float.float16ToFloat(data.get(SHORT_LE, blk + D));
        return d * data.get(ValueLayout.JAVA_BYTE, blk + SCALES + e / SUB) * (quant(data, blk, e) - 32);
    }

    /**
     * The four quants of each (ql, qh) byte position are rebuilt in 16-bit lanes from the zero-extended
     * bytes (nibble | two high bits << 4, minus 32) and multiplied with the activation quants (within
     * +-32 * 127). Each product vector, read as ints, is folded pairwise into one int per two adjacent
     * lanes, both in the same 16-element sub-block: with v = hi * 2^16 + (lo & 0xFFFF),
     * (v + (v << 16)) >> 16 is exactly hi + lo (|hi + lo| < 2^15). Then each int lane is multiplied by
     * its sub-block's int8 scale and the lanes are summed exactly per super-block.
     *
     * <p>Where a product vector spans two sub-blocks (16 int lanes, AVX-512), the per-lane scales come
     * from one vector of all 16 scales, rearranged; narrower vectors lie in one sub-block and multiply
     * by a broadcast scale ({@link #dotNarrow}). Widening with two shape conversions per product
     * vector instead, one per sub-block, measured a third slower.
     */
    @Override
    public float dot(long from, Activations x, int row, int n) {
        return L == 16 ? dotWide(from, x, row, n) : dotNarrow(from, x, row, n);
    }

    /**
     * For 16 int lanes: ints i = 0..7 of a folded product vector hold elements of sub-block k, ints
     * 8..15 of sub-block k + 1. Written out in one method for the reasons given at {@link Q8_0Tensor#dot}
     * and {@link Q4_KTensor#dot}.
     */
    private float dotWide(long from, Activations x, int row, int n) {
        checkDot(from, x, row, n);
        MemorySegment w = data;
        short[] xq = x.wideQuants();
        float[] xd = x.scales();
        int qOff = row * x.cols();
        long wOff = from / BLOCK * BLOCK_BYTES;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / BLOCK; b++) {
            long blk = wOff + (long) b * BLOCK_BYTES;
            int q = qOff + b * BLOCK;
            IntVector scales = (IntVector) ByteVector.fromMemorySegment(SCALE_BYTES, w, blk + SCALES, LE).convertShape(B2I, I, 0);
            IntVector isum = IntVector.zero(I);
            for (int h = 0; h < 2; h++) {
                long ql = blk + 64 * h;
                int xh = q + 128 * h;
                ShortVector a = (ShortVector) ByteVector.fromMemorySegment(KB, w, ql, LE).convertShape(ZERO_EXTEND_B2S, KS, 0);
                ShortVector c = (ShortVector) ByteVector.fromMemorySegment(KB, w, ql + 32, LE).convertShape(ZERO_EXTEND_B2S, KS, 0);
                ShortVector hb = (ShortVector) ByteVector.fromMemorySegment(KB, w, blk + QH + 32 * h, LE).convertShape(ZERO_EXTEND_B2S, KS, 0);
                IntVector p0 = a.and((short) 0x0F).or(hb.and((short) 0x03).lanewise(LSHL, 4)).sub((short) 32)
                        .mul(ShortVector.fromArray(KS, xq, xh)).reinterpretAsInts();
                IntVector p1 = c.and((short) 0x0F).or(hb.and((short) 0x0C).lanewise(LSHL, 2)).sub((short) 32)
                        .mul(ShortVector.fromArray(KS, xq, xh + 32)).reinterpretAsInts();
                IntVector p2 = a.lanewise(LSHR, 4).or(hb.and((short) 0x30)).sub((short) 32)
                        .mul(ShortVector.fromArray(KS, xq, xh + 64)).reinterpretAsInts();
                IntVector p3 = c.lanewise(LSHR, 4).or(hb.and((short) 0xC0).lanewise(LSHR, 2)).sub((short) 32)
                        .mul(ShortVector.fromArray(KS, xq, xh + 96)).reinterpretAsInts();
                p0 = p0.add(p0.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                p1 = p1.add(p1.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                p2 = p2.add(p2.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                p3 = p3.add(p3.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                isum = isum.add(p0.mul(scales.rearrange(SCALE_PAIRS[4 * h])))
                        .add(p1.mul(scales.rearrange(SCALE_PAIRS[4 * h + 1])))
                        .add(p2.mul(scales.rearrange(SCALE_PAIRS[4 * h + 2])))
                        .add(p3.mul(scales.rearrange(SCALE_PAIRS[4 * h + 3])));
            }
            float d = Float.float16ToFloat(w.get(SHORT_LE, blk + D)) * xd[q / BLOCK];
            acc = ((FloatVector) isum.convert(I2F, 0)).fma(FloatVector.broadcast(F, d), acc);
        }
        float[] lanes = new float[L];  // summed from an array: see Q4_KTensor#dot
        acc.intoArray(lanes, 0);
        return VectorMath.sumLanes(lanes, 0);
    }

    /**
     * For 8 or 4 int lanes (AVX2, NEON): a folded product vector covers 16 or 8 elements, inside one
     * sub-block, whose scale is broadcast.
     */
    private float dotNarrow(long from, Activations x, int row, int n) {
        checkDot(from, x, row, n);
        MemorySegment w = data;
        short[] xq = x.wideQuants();
        float[] xd = x.scales();
        int qOff = row * x.cols();
        long wOff = from / BLOCK * BLOCK_BYTES;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < n / BLOCK; b++) {
            long blk = wOff + (long) b * BLOCK_BYTES;
            int q = qOff + b * BLOCK;
            IntVector isum = IntVector.zero(I);
            for (int h = 0; h < 2; h++) {
                long scales = w.get(LONG_LE, blk + SCALES + 8 * h);  // the 8 int8 scales of this half
                long ql = blk + 64 * h;
                int xh = q + 128 * h;
                for (int o = 0; o < 32; o += KCHUNK) {
                    ShortVector a = (ShortVector) ByteVector.fromMemorySegment(KB, w, ql + o, LE).convertShape(ZERO_EXTEND_B2S, KS, 0);
                    ShortVector c = (ShortVector) ByteVector.fromMemorySegment(KB, w, ql + 32 + o, LE).convertShape(ZERO_EXTEND_B2S, KS, 0);
                    ShortVector hb = (ShortVector) ByteVector.fromMemorySegment(KB, w, blk + QH + 32 * h + o, LE).convertShape(ZERO_EXTEND_B2S, KS, 0);
                    IntVector p0 = a.and((short) 0x0F).or(hb.and((short) 0x03).lanewise(LSHL, 4)).sub((short) 32)
                            .mul(ShortVector.fromArray(KS, xq, xh + o)).reinterpretAsInts();
                    IntVector p1 = c.and((short) 0x0F).or(hb.and((short) 0x0C).lanewise(LSHL, 2)).sub((short) 32)
                            .mul(ShortVector.fromArray(KS, xq, xh + 32 + o)).reinterpretAsInts();
                    IntVector p2 = a.lanewise(LSHR, 4).or(hb.and((short) 0x30)).sub((short) 32)
                            .mul(ShortVector.fromArray(KS, xq, xh + 64 + o)).reinterpretAsInts();
                    IntVector p3 = c.lanewise(LSHR, 4).or(hb.and((short) 0xC0).lanewise(LSHR, 2)).sub((short) 32)
                            .mul(ShortVector.fromArray(KS, xq, xh + 96 + o)).reinterpretAsInts();
                    p0 = p0.add(p0.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                    p1 = p1.add(p1.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                    p2 = p2.add(p2.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                    p3 = p3.add(p3.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                    int k = o / SUB;  // sub-block of the chunk within its group of 32
                    isum = isum.add(p0.mul((byte) (scales >>> 8 * k)))
                            .add(p1.mul((byte) (scales >>> 8 * (k + 2))))
                            .add(p2.mul((byte) (scales >>> 8 * (k + 4))))
                            .add(p3.mul((byte) (scales >>> 8 * (k + 6))));
                }
            }
            float d = Float.float16ToFloat(w.get(SHORT_LE, blk + D)) * xd[q / BLOCK];
            acc = ((FloatVector) isum.convert(I2F, 0)).fma(FloatVector.broadcast(F, d), acc);
        }
        float[] lanes = new float[L];
        acc.intoArray(lanes, 0);
        return VectorMath.sumLanes(lanes, 0);
    }

    /** ggml_vec_dot_q6_K_q8_K, one element at a time. */
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
            for (int j = 0; j < BLOCK / SUB; j++) {
                int sub = 0;
                for (int i = 0; i < SUB; i++) {
                    sub += (quant(data, blk, SUB * j + i) - 32) * xq[q + SUB * j + i];
                }
                isum += data.get(ValueLayout.JAVA_BYTE, blk + SCALES + j) * sub;
            }
            sum += Float.float16ToFloat(data.get(SHORT_LE, blk + D)) * xd[q / BLOCK] * (float) isum;
        }
        return sum;
    }

    /**
     * llama.cpp's quantize_row_q6_K_ref: a {@link KQuantFit#makeQxQuants} search per sub-block of 16
     * (quants -32..31, weights x^2); the 16 scales are then quantized to int8 against the one of largest
     * magnitude, which maps to -128 (d = its scale / -128, fp16), and the quants recomputed against the
     * rounded scales. A super-block whose scales are all (near) zero is written as all zero bytes.
     */
    public static void quantize(float[] x, int xOffset, int n, byte[] out, int outOffset) {
        Quantizer.checkArguments(GgmlType.Q6_K, x, xOffset, n, out, outOffset);
        byte[] l = new byte[BLOCK];
        float[] scales = new float[BLOCK / SUB];
        for (int b = 0; b < n / BLOCK; b++) {
            int xb = xOffset + b * BLOCK;
            int o = outOffset + b * BLOCK_BYTES;
            float maxScale = 0;
            float maxAbsScale = 0;
            for (int j = 0; j < BLOCK / SUB; j++) {
                scales[j] = KQuantFit.makeQxQuants(SUB, 32, x, xb + SUB * j, l, SUB * j);
                float abs = Math.abs(scales[j]);
                if (abs > maxAbsScale) {
                    maxAbsScale = abs;
                    maxScale = scales[j];
                }
            }
            java.util.Arrays.fill(out, o, o + BLOCK_BYTES, (byte) 0);
            if (maxAbsScale < KQuantFit.GROUP_MAX_EPS) {
                continue;
            }
            float iscale = -128f / maxScale;
            short dBits = Float.floatToFloat16(1 / iscale);
            Quantizer.putShortLE(out, o + D, dBits);
            for (int j = 0; j < BLOCK / SUB; j++) {
                out[o + SCALES + j] = (byte) Math.min(127, KQuantFit.nearestInt(iscale * scales[j]));
            }
            for (int j = 0; j < BLOCK / SUB; j++) {
                float d = Float.float16ToFloat(dBits) * out[o + SCALES + j];
                if (d == 0f) {
                    continue;  // the search's quants stay
                }
                for (int i = 0; i < SUB; i++) {
                    l[SUB * j + i] = (byte) (KQuantFit.clamp(KQuantFit.nearestInt(x[xb + SUB * j + i] / d), -32, 31) + 32);
                }
            }
            for (int h = 0; h < 2; h++) {
                int e = 128 * h;
                for (int i = 0; i < 32; i++) {
                    int l0 = l[e + i];
                    int l1 = l[e + 32 + i];
                    int l2 = l[e + 64 + i];
                    int l3 = l[e + 96 + i];
                    out[o + 64 * h + i] = (byte) ((l0 & 0xF) | (l2 & 0xF) << 4);
                    out[o + 64 * h + 32 + i] = (byte) ((l1 & 0xF) | (l3 & 0xF) << 4);
                    out[o + QH + 32 * h + i] = (byte) (l0 >>> 4 | (l1 >>> 4) << 2 | (l2 >>> 4) << 4 | (l3 >>> 4) << 6);
                }
            }
        }
    }

    /**
     * Whole blocks, vectorised (prefill panels, embedding rows): per half of 128 weights, 32 bytes of qh
     * give the top 2 bits of four groups of 32 whose low 4 bits are the nibbles of two 32-byte ql runs;
     * weight = d*scale*(q-32), exact as getFloat. Other ranges take the scalar path.
     */
    @Override
    public void dequantize(long from, float[] out, int outOffset, int n) {
        if (!checkDequantize(from, out, outOffset, n, SUB)) {
            super.dequantize(from, out, outOffset, n);
            return;
        }
        MemorySegment w = data;
        long blk = from / BLOCK * BLOCK_BYTES;
        for (int b = 0; b < n / BLOCK; b++, blk += BLOCK_BYTES) {
            float d = Float.float16ToFloat(w.get(SHORT_LE, blk + D));
            int o = outOffset + b * BLOCK;
            for (int h = 0; h < 2; h++) {
                for (int i = 0; i < 32; i += L) {
                    ByteVector ql0 = ByteVector.fromMemorySegment(VectorMath.LB, w, blk + 64L * h + i, LE);
                    ByteVector ql1 = ByteVector.fromMemorySegment(VectorMath.LB, w, blk + 64L * h + 32 + i, LE);
                    ByteVector qh = ByteVector.fromMemorySegment(VectorMath.LB, w, blk + QH + 32L * h + i, LE);
                    for (int g = 0; g < 4; g++) {
                        ByteVector low = (g < 2 ? (g == 0 ? ql0 : ql1).and((byte) 0x0F) : (g == 2 ? ql0 : ql1).lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F));
                        ByteVector q = low.or(qh.lanewise(VectorOperators.LSHR, 2 * g).and((byte) 3).lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                        int e = 128 * h + 32 * g + i; // element index within the block
                        float sc = d * w.get(ValueLayout.JAVA_BYTE, blk + SCALES + e / SUB);
                        ((FloatVector) q.convertShape(VectorOperators.B2F, F, 0)).mul(sc).intoArray(out, o + e);
                    }
                }
            }
        }
    }
}
