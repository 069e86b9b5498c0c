package osprey.engine;

import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2I;
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
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_K: super-blocks of 256 weights in 8 sub-blocks of 32, 144 bytes each:
 * <pre>
 *   0  fp16 d      scale of the sub-block scales
 *   2  fp16 dmin   scale of the sub-block mins
 *   4  12 bytes    eight 6-bit scales and eight 6-bit mins, packed (see {@link #scale}, {@link #min})
 *  16  128 bytes   4-bit quants
 * </pre>
 * weight = d * scale_j * q - dmin * min_j for sub-block j. The quants are not in element order: the
 * 128 bytes are four runs of 32, and run r holds sub-block 2r in its low nibbles and sub-block 2r + 1 in
 * its high nibbles (byte 32 r + i: element 64 r + i low, element 64 r + 32 + i high).
 *
 * <p>Multiplied with Q8_K activations as llama.cpp's ggml_vec_dot_q4_K_q8_K: per super-block the
 * integer sum over sub-blocks of scale_j * (sum of q * x_q), and the integer sum over 16-element groups
 * of min * bsum (the activation's sums of 16 quants), each scaled once by its float factor.
 */
public final class Q4_KTensor extends FloatTensor {
    static final int BLOCK = 256;
    static final int BLOCK_BYTES = 144;
    private static final int SCALES = 4;
    private static final int QS = 16;
    private static final int SUB = 32;
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);
    /** The mins term's vectors: 8 int lanes (one per sub-block), or 4 where vectors are narrower. */
    private static final VectorSpecies<Integer> MI = VectorSpecies.of(int.class, VectorShape.forBitSize(Math.min(L, 8) * Integer.SIZE));
    private static final VectorSpecies<Float> MF = MI.withLanes(float.class);
    private static final VectorSpecies<Long> ML = MI.withLanes(long.class);
    private static final VectorSpecies<Short> MS = VectorSpecies.of(short.class, MI.vectorShape());

    static {
        if (SUB % KCHUNK != 0) {
            throw new ExceptionInInitializerError("chunks of " + KCHUNK + " quants do not tile a Q4_K sub-block");
        }
    }

    Q4_KTensor(MemorySegment data, long size) {
        super(GgmlType.Q4_K, data, size);
    }

    /**
     * The 6-bit scale of sub-block j from the 12 packed bytes at {@code at}: sub-blocks 0-3 keep theirs
     * in the low 6 bits of bytes 0-3; sub-blocks 4-7 in the low nibble of bytes 8-11 plus, as the two
     * high bits, the top two bits of bytes 0-3.
     */
    static int scale(MemorySegment s, long at, int j) {
        if (j < 4) {
            return s.get(ValueLayout.JAVA_BYTE, at + j) & 63;
        }
        return (s.get(ValueLayout.JAVA_BYTE, at + j + 4) & 0xF) | (s.get(ValueLayout.JAVA_BYTE, at + j - 4) & 0xC0) >>> 2;
    }

    /** The 6-bit min of sub-block j: bytes 4-7 as the scales' bytes 0-3; high nibbles of 8-11 and top bits of 4-7. */
    static int min(MemorySegment s, long at, int j) {
        if (j < 4) {
            return s.get(ValueLayout.JAVA_BYTE, at + j + 4) & 63;
        }
        return (s.get(ValueLayout.JAVA_BYTE, at + j + 4) & 0xFF) >>> 4 | (s.get(ValueLayout.JAVA_BYTE, at + j) & 0xC0) >>> 2;
    }

    /** Same rounding as ggml's dequantize_row_q4_K: (d * scale) * q is exact, then one rounding. */
    @Override
    public float getFloat(long index) {
        long blk = index / BLOCK * BLOCK_BYTES;
        int e = (int) (index % BLOCK);
        int j = e / SUB;
        int packed = data.get(ValueLayout.JAVA_BYTE, blk + QS + (e / 64) * 32 + e % 32) & 0xFF;
        int q = (j & 1) == 0 ? packed & 0xF : packed >>> 4;
        float d = Float.float16ToFloat(data.get(SHORT_LE, blk));
        float dmin = Float.float16ToFloat(data.get(SHORT_LE, blk + 2));
        return d * scale(data, blk + SCALES, j) * q - dmin * min(data, blk + SCALES, j);
    }

    /**
     * Nibbles are split and multiplied with the activation quants in 16-bit lanes (products within
     * +-15 * 127; a narrower machine first adds up to four chunks of one sub-block, +-7620 per lane).
     * Each product vector, read as ints, is then folded pairwise into an int per two adjacent lanes
     * (both always in the same sub-block): with v = hi * 2^16 + (lo & 0xFFFF), (v + (v << 16)) >> 16
     * is exactly hi + lo as long as |hi + lo| < 2^15. Three plain ALU operations instead of two
     * widening shuffles and an add; only then the int multiply by the sub-block's 6-bit scale.
     *
     * <p>The mins term runs in a second, 8-lane accumulator: the eight 6-bit mins (unpacked in a long,
     * one per byte) times the activation's sums over each sub-block of 32 (its bsums folded pairwise the
     * same way), converted and scaled by dmin * d_x. llama.cpp's AVX2 kernel accumulates its mins term
     * in float lanes too.
     *
     * <p>The 12 packed scale bytes are unpacked as three little-endian ints, four 6-bit values per int:
     * the high two bits of scales and mins 4-7 are the top bits of the first eight bytes, which one
     * shift and mask move into place for four values at once.
     *
     * <p>One method, for the reason given at {@link Q8_0Tensor#dot}. The accumulators are stored to an
     * array and summed from there rather than passed to {@link VectorMath#sumLanes(FloatVector)}, which
     * C2 declines to inline into a method this large (its node count), boxing the vector on every call.
     */
    @Override
    public float dot(long from, Activations x, int row, int n) {
        checkDot(from, x, row, n);
        MemorySegment w = data;
        short[] xq = x.wideQuants();
        float[] xd = x.scales();
        short[] bsums = x.bsums();
        int qOff = row * x.cols();
        long wOff = from / BLOCK * BLOCK_BYTES;
        FloatVector acc = FloatVector.zero(F);
        FloatVector accMin = FloatVector.zero(MF);
        for (int b = 0; b < n / BLOCK; b++) {
            long blk = wOff + (long) b * BLOCK_BYTES;
            int q = qOff + b * BLOCK;
            int u0 = w.get(INT_LE, blk + SCALES);
            int u1 = w.get(INT_LE, blk + SCALES + 4);
            int u2 = w.get(INT_LE, blk + SCALES + 8);
            long scales = (u0 & 0x3f3f3f3fL) | ((long) ((u2 & 0x0f0f0f0f) | (u0 >>> 2 & 0x30303030)) << 32);
            long mins = (u1 & 0x3f3f3f3fL) | ((long) ((u2 >>> 4 & 0x0f0f0f0f) | (u1 >>> 2 & 0x30303030)) << 32);

            IntVector isum = IntVector.zero(I);
            for (int r = 0; r < 4; r++) {
                long qs = blk + QS + 32 * r;
                int xlo = q + 64 * r;
                ShortVector packed = (ShortVector) ByteVector.fromMemorySegment(KB, w, qs, LE).convertShape(ZERO_EXTEND_B2S, KS, 0);
                ShortVector plo = packed.and((short) 0x0F).mul(ShortVector.fromArray(KS, xq, xlo));
                ShortVector phi = packed.lanewise(LSHR, 4).mul(ShortVector.fromArray(KS, xq, xlo + SUB));
                for (int c = KCHUNK; c < SUB; c += KCHUNK) {  // no iterations with AVX-512: one chunk is the sub-block
                    packed = (ShortVector) ByteVector.fromMemorySegment(KB, w, qs + c, LE).convertShape(ZERO_EXTEND_B2S, KS, 0);
                    plo = plo.add(packed.and((short) 0x0F).mul(ShortVector.fromArray(KS, xq, xlo + c)));
                    phi = phi.add(packed.lanewise(LSHR, 4).mul(ShortVector.fromArray(KS, xq, xlo + SUB + c)));
                }
                IntVector lo = plo.reinterpretAsInts();
                IntVector hi = phi.reinterpretAsInts();
                lo = lo.add(lo.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                hi = hi.add(hi.lanewise(LSHL, 16)).lanewise(ASHR, 16);
                isum = isum.add(lo.mul((int) (scales >>> 16 * r & 0xFF))).add(hi.mul((int) (scales >>> 16 * r + 8 & 0xFF)));
            }
            float xs = xd[q / BLOCK];
            float d = Float.float16ToFloat(w.get(SHORT_LE, blk)) * xs;
            acc = ((FloatVector) isum.convert(I2F, 0)).fma(FloatVector.broadcast(F, d), acc);

            FloatVector dmin = FloatVector.broadcast(MF, Float.float16ToFloat(w.get(SHORT_LE, blk + 2)) * xs);
            for (int part = 0; part < 8 / MI.length(); part++) {  // one part unless vectors are narrower than 8 ints
                IntVector m = (IntVector) LongVector.broadcast(ML, mins).reinterpretAsBytes().convertShape(ZERO_EXTEND_B2I, MI, part);
                IntVector s = ShortVector.fromArray(MS, bsums, q / 16 + 2 * MI.length() * part).reinterpretAsInts();
                s = s.add(s.lanewise(LSHL, 16)).lanewise(ASHR, 16);  // |sum of 32 quants| <= 32 * 127
                accMin = ((FloatVector) m.mul(s).convert(I2F, 0)).fma(dmin, accMin);
            }
        }
        float[] lanes = new float[L + MI.length()];
        acc.intoArray(lanes, 0);
        accMin.intoArray(lanes, L);
        float mins = 0f;
        for (int i = L; i < lanes.length; i++) {
            mins += lanes[i];
        }
        return VectorMath.sumLanes(lanes, 0) - mins;
    }

    /** ggml_vec_dot_q4_K_q8_K, one element at a time. */
    @Override
    public float dotScalar(long from, Activations x, int row, int n) {
        checkDot(from, x, row, n);
        byte[] xq = x.quants();
        float[] xd = x.scales();
        short[] bsums = x.bsums();
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
                    int packed = data.get(ValueLayout.JAVA_BYTE, blk + QS + (j / 2) * 32 + i) & 0xFF;
                    int nibble = (j & 1) == 0 ? packed & 0xF : packed >>> 4;
                    sub += nibble * xq[q + j * SUB + i];
                }
                isum += scale(data, blk + SCALES, j) * sub;
            }
            int msum = 0;
            for (int g = 0; g < BLOCK / 16; g++) {
                msum += min(data, blk + SCALES, g / 2) * bsums[q / 16 + g];
            }
            float xs = xd[q / BLOCK];
            sum += Float.float16ToFloat(data.get(SHORT_LE, blk)) * xs * (float) isum;
            sum -= Float.float16ToFloat(data.get(SHORT_LE, blk + 2)) * xs * (float) msum;
        }
        return sum;
    }

    /**
     * llama.cpp's quantize_row_q4_K_ref: per sub-block, weights |x| + rms(sub-block) and a
     * {@link KQuantFit#makeQkx2Quants} search for scale and min; the eight scales and eight mins are
     * then quantized to 6 bits against the largest of each (d = max scale / 63, dmin = max min / 63,
     * both fp16), and the quants recomputed against those rounded scales.
     */
    public static void quantize(float[] x, int xOffset, int n, byte[] out, int outOffset) {
        Quantizer.checkArguments(GgmlType.Q4_K, x, xOffset, n, out, outOffset);
        byte[] l = new byte[BLOCK];
        float[] weights = new float[SUB];
        float[] scales = new float[BLOCK / SUB];
        float[] mins = new float[BLOCK / SUB];
        float[] theMin = new float[1];
        for (int b = 0; b < n / BLOCK; b++) {
            int xb = xOffset + b * BLOCK;
            int o = outOffset + b * BLOCK_BYTES;
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < BLOCK / SUB; j++) {
                float sumX2 = 0;
                for (int i = 0; i < SUB; i++) {
                    sumX2 += x[xb + SUB * j + i] * x[xb + SUB * j + i];
                }
                float avX = (float) Math.sqrt(sumX2 / SUB);
                for (int i = 0; i < SUB; i++) {
                    weights[i] = avX + Math.abs(x[xb + SUB * j + i]);
                }
                scales[j] = KQuantFit.makeQkx2Quants(SUB, 15, x, xb + SUB * j, weights, l, SUB * j, theMin, -1f, 0.1f, 20);
                mins[j] = theMin[0];
                if (scales[j] > maxScale) {
                    maxScale = scales[j];
                }
                if (mins[j] > maxMin) {
                    maxMin = mins[j];
                }
            }
            float invScale = maxScale > 0 ? 63f / maxScale : 0f;
            float invMin = maxMin > 0 ? 63f / maxMin : 0f;
            java.util.Arrays.fill(out, o, o + QS, (byte) 0);
            for (int j = 0; j < BLOCK / SUB; j++) {
                // llama.cpp stores nearest_int into a uint8_t before the MIN: a negative wraps to >= 63
                int ls = Math.min(63, KQuantFit.nearestInt(invScale * scales[j]) & 0xFF);
                int lm = Math.min(63, KQuantFit.nearestInt(invMin * mins[j]) & 0xFF);
                if (j < 4) {
                    out[o + SCALES + j] = (byte) ls;
                    out[o + SCALES + j + 4] = (byte) lm;
                } else {
                    out[o + SCALES + j + 4] = (byte) ((ls & 0xF) | (lm & 0xF) << 4);
                    out[o + SCALES + j - 4] |= (byte) ((ls >>> 4) << 6);
                    out[o + SCALES + j] |= (byte) ((lm >>> 4) << 6);
                }
            }
            short dBits = Float.floatToFloat16(maxScale / 63f);
            short dminBits = Float.floatToFloat16(maxMin / 63f);
            Quantizer.putShortLE(out, o, dBits);
            Quantizer.putShortLE(out, o + 2, dminBits);
            MemorySegment block = MemorySegment.ofArray(out).asSlice(o, BLOCK_BYTES);
            for (int j = 0; j < BLOCK / SUB; j++) {
                float d = Float.float16ToFloat(dBits) * scale(block, SCALES, j);
                if (d == 0f) {
                    continue;  // the search's quants stay
                }
                float dm = Float.float16ToFloat(dminBits) * min(block, SCALES, j);
                for (int i = 0; i < SUB; i++) {
                    l[SUB * j + i] = (byte) KQuantFit.clamp(KQuantFit.nearestInt((x[xb + SUB * j + i] + dm) / d), 0, 15);
                }
            }
            for (int r = 0; r < 4; r++) {
                for (int i = 0; i < 32; i++) {
                    out[o + QS + 32 * r + i] = (byte) (l[64 * r + i] | l[64 * r + 32 + i] << 4);
                }
            }
        }
    }

    /**
     * Whole blocks, vectorised (prefill panels, embedding rows): each run of 32 bytes holds sub-block 2r in
     * its low nibbles and 2r+1 in its high ones; weight = d*scale*q - dmin*min, exact as getFloat (the
     * products and the difference are the same float operations in the same order). Other ranges take
     * the scalar path.
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
            float d = Float.float16ToFloat(w.get(SHORT_LE, blk));
            float dmin = Float.float16ToFloat(w.get(SHORT_LE, blk + 2));
            int o = outOffset + b * BLOCK;
            for (int r = 0; r < 4; r++) {
                float scLo = d * scale(w, blk + SCALES, 2 * r), mLo = dmin * min(w, blk + SCALES, 2 * r);
                float scHi = d * scale(w, blk + SCALES, 2 * r + 1), mHi = dmin * min(w, blk + SCALES, 2 * r + 1);
                for (int j = 0; j < SUB; j += L) {
                    ByteVector packed = ByteVector.fromMemorySegment(VectorMath.LB, w, blk + QS + 32L * r + j, LE);
                    FloatVector lo = (FloatVector) packed.and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0);
                    FloatVector hi = (FloatVector) packed.lanewise(VectorOperators.LSHR, 4).and((byte) 0x0F).convertShape(VectorOperators.B2F, F, 0);
                    lo.mul(scLo).sub(mLo).intoArray(out, o + 64 * r + j);
                    hi.mul(scHi).sub(mHi).intoArray(out, o + 64 * r + SUB + j);
                }
            }
        }
    }
}
