package osprey.engine;

/**
 * A batch of activation rows, converted once into the form a weight type multiplies with
 * ({@link GgmlType#activationType()}) and then reused by every output row of a matmul.
 *
 * <p>The conversions round exactly where llama.cpp's CPU backend rounds, bit for bit: this is the
 * half of a quantized dot product that decides whether our logits match llama.cpp's.
 *
 * <p>Buffers only grow: loading a batch no larger than any before it allocates nothing.
 * Float formats (F32, F16, BF16) fill {@link #values()}; Q8_0 fills {@link #quants()} and {@link #scales()};
 * Q8_K (the K-quants' format: blocks of 256) fills those and {@link #bsums()}.
 */
public final class Activations {
    /** Elements per Q8_0 block. */
    static final int QK8_0 = 32;
    /** Elements per Q8_K block, and per group summed into one of its bsums. */
    static final int QK_K = 256;
    static final int BSUM_GROUP = 16;

    private final GgmlType format;
    private int rows;
    private int cols;
    private float[] values = new float[0];  // (rows, cols), float formats
    private byte[] quants = new byte[0];    // (rows, cols), Q8_0
    private float[] scales = new float[0];  // (rows, cols / 32), Q8_0: fp16-rounded block scales; (rows, cols / 256), Q8_K
    private short[] wideQuants = new short[0];  // (rows, cols), Q8_0/Q8_K: the quants again, as the kernels multiply them
    private short[] bsums = new short[0];   // (rows, cols / 16), Q8_K: sums of 16 consecutive quants

    public Activations(GgmlType format) {
        switch (format) {
            case F32, F16, BF16, Q8_0, Q8_K -> { }
            default -> throw new IllegalArgumentException("no activation conversion to " + format);
        }
        this.format = format;
    }

    /** Converts {@code rows} rows of {@code cols} floats, row-major from {@code x[xOffset]}. */
    public void load(float[] x, int xOffset, int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("negative shape " + rows + " x " + cols);
        }
        int n = Math.multiplyExact(rows, cols);
        java.util.Objects.checkFromIndexSize(xOffset, n, x.length);
        switch (format) {
            case F32 -> System.arraycopy(x, xOffset, values(n), 0, n);
            case F16 -> toF16(x, xOffset, values(n), n);
            case BF16 -> toBF16(x, xOffset, values(n), n);
            case Q8_0 -> {
                if (cols % QK8_0 != 0) {
                    throw new IllegalArgumentException("Q8_0 activations need a multiple of " + QK8_0
                            + " columns, got " + cols);
                }
                if (quants.length < n) {
                    quants = new byte[n];
                    wideQuants = new short[n];
                    scales = new float[n / QK8_0];
                }
                toQ8_0(x, xOffset, quants, scales, n);
                widen(n);
            }
            case Q8_K -> {
                if (cols % QK_K != 0) {
                    throw new IllegalArgumentException("Q8_K activations need a multiple of " + QK_K
                            + " columns, got " + cols);
                }
                if (quants.length < n) {
                    quants = new byte[n];
                    wideQuants = new short[n];
                    scales = new float[n / QK_K];
                    bsums = new short[n / BSUM_GROUP];
                }
                toQ8_K(x, xOffset, quants, scales, bsums, n);
                widen(n);
            }
            default -> throw new AssertionError(format);
        }
        this.rows = rows;
        this.cols = cols;
    }

    private void widen(int n) {
        for (int i = 0; i < n; i++) {
            wideQuants[i] = quants[i];
        }
    }

    private float[] values(int n) {
        if (values.length < n) {
            values = new float[n];
        }
        return values;
    }

    /** Round to IEEE half, nearest even (F16C's _cvtss_sh with rounding mode 0). */
    static void toF16(float[] x, int xOffset, float[] out, int n) {
        for (int i = 0; i < n; i++) {
            out[i] = Float.float16ToFloat(Float.floatToFloat16(x[xOffset + i]));
        }
    }

    static void toBF16(float[] x, int xOffset, float[] out, int n) {
        for (int i = 0; i < n; i++) {
            out[i] = Float.intBitsToFloat(floatToBF16(x[xOffset + i]) << 16);
        }
    }

    /**
     * float -> bfloat16 bits the way ggml does it: round to nearest even by adding 0x7fff plus the
     * lowest kept bit, but a NaN is truncated and forced quiet so rounding cannot turn it into infinity.
     */
    static int floatToBF16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fff_ffff) > 0x7f80_0000) {
            return (u >>> 16) | 64;
        }
        return (u + (0x7fff + ((u >>> 16) & 1))) >>> 16;
    }

    /**
     * Blocks of 32: scale d = max|x| / 127 stored as fp16, quants round(x * 127 / max|x|) with ties to
     * even (llama.cpp's AVX path uses _mm256_round_ps nearest; its scalar path uses roundf, which
     * differs on exact ties). Note the quants use the unrounded 127 / max|x|, not 1 / fp16(d).
     * The quants stay within [-127, 127]: kernels rely on it (a product with any weight byte fits in 15 bits).
     */
    static void toQ8_0(float[] x, int xOffset, byte[] q, float[] scales, int n) {
        for (int b = 0; b < n / QK8_0; b++) {
            int base = xOffset + b * QK8_0;
            float amax = 0f;
            for (int i = 0; i < QK8_0; i++) {
                amax = Math.max(amax, Math.abs(x[base + i]));
            }
            float d = amax / 127f;
            float id = amax != 0f ? 127f / amax : 0f;
            scales[b] = Float.float16ToFloat(Float.floatToFloat16(d));
            for (int i = 0; i < QK8_0; i++) {
                q[b * QK8_0 + i] = (byte) Math.rint(x[base + i] * id);
            }
        }
    }

    /**
     * Blocks of 256, as llama.cpp's quantize_row_q8_K_ref (which its x86 backend uses as is): the
     * element of largest magnitude, sign kept, is max; iscale = -127 / max, so that max itself maps to
     * -127 (the negative sign keeps every quant within [-127, 127] whichever sign max has; llama.cpp
     * needs that for IQ2_XXS); q = nearest_int(iscale * x), ties to even, at most 127; the float
     * (not fp16) scale is d = 1 / iscale, itself rounded, so d is not exactly -max / 127. The first of
     * equal magnitudes wins. An all-zero block gets d = 0 and zero quants (and zero bsums, which
     * llama.cpp leaves unwritten there: they are multiplied by d = 0 anyway). bsums: each 16 quants summed.
     */
    static void toQ8_K(float[] x, int xOffset, byte[] q, float[] scales, short[] bsums, int n) {
        for (int b = 0; b < n / QK_K; b++) {
            int base = xOffset + b * QK_K;
            int qb = b * QK_K;
            float max = 0f;
            float amax = 0f;
            for (int i = 0; i < QK_K; i++) {
                float ax = Math.abs(x[base + i]);
                if (ax > amax) {
                    amax = ax;
                    max = x[base + i];
                }
            }
            if (amax == 0f) {
                scales[b] = 0f;
                java.util.Arrays.fill(q, qb, qb + QK_K, (byte) 0);
                java.util.Arrays.fill(bsums, qb / BSUM_GROUP, (qb + QK_K) / BSUM_GROUP, (short) 0);
                continue;
            }
            float iscale = -127f / max;
            for (int i = 0; i < QK_K; i++) {
                q[qb + i] = (byte) Math.min(127, KQuantFit.nearestInt(iscale * x[base + i]));
            }
            for (int g = 0; g < QK_K / BSUM_GROUP; g++) {
                int sum = 0;
                for (int i = 0; i < BSUM_GROUP; i++) {
                    sum += q[qb + g * BSUM_GROUP + i];
                }
                bsums[qb / BSUM_GROUP + g] = (short) sum;
            }
            scales[b] = 1f / iscale;
        }
    }

    public GgmlType format() {
        return format;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** F32/F16/BF16: the (rounded) values, row-major; the array may be longer than rows * cols. */
    public float[] values() {
        return values;
    }

    /** Q8_0/Q8_K: the 8-bit quants, row-major; the array may be longer than rows * cols. */
    public byte[] quants() {
        return quants;
    }

    /**
     * Q8_0/Q8_K: {@link #quants()} widened to shorts once here, so the dot kernels, which multiply in 16-bit
     * lanes, do not widen them again for every weight row.
     */
    short[] wideQuants() {
        return wideQuants;
    }

    /**
     * Q8_0: one scale per block of 32, row-major (row r's blocks start at r * cols / 32).
     * Q8_K: one per block of 256 (row r's start at r * cols / 256).
     */
    public float[] scales() {
        return scales;
    }

    /** Q8_K: the sum of each 16 consecutive quants, row-major (row r's start at r * cols / 16). */
    public short[] bsums() {
        return bsums;
    }
}
