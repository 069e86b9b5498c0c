package osprey.engine;

/**
 * Every tensor type a GGUF file can name, with the numbers ggml uses for it: the id written in the
 * file, how many elements one block holds and how many bytes that block takes.
 *
 * <p>Ids 4, 5 (the old Q4_2, Q4_3) and 31-33, 36-38 (the repacked Q4_0_4_4 family and IQ4_NL_4_4)
 * were removed from ggml; {@link #fromId} answers null for them, as for any id it does not know.
 */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),     // fp16 d, 16 bytes of nibbles
    Q4_1(3, 32, 20),     // fp16 d, fp16 m, 16 bytes of nibbles
    Q5_0(6, 32, 22),     // fp16 d, 4 bytes of high bits, 16 bytes of nibbles
    Q5_1(7, 32, 24),     // fp16 d, fp16 m, 4 bytes of high bits, 16 bytes of nibbles
    Q8_0(8, 32, 34),     // fp16 d, 32 signed bytes
    Q8_1(9, 32, 36),     // fp16 d, fp16 s (= d * sum of quants), 32 signed bytes
    Q2_K(10, 256, 84),
    Q3_K(11, 256, 110),
    Q4_K(12, 256, 144),
    Q5_K(13, 256, 176),
    Q6_K(14, 256, 210),
    Q8_K(15, 256, 292),  // float d, 256 signed bytes, 16 int16 block sums
    IQ2_XXS(16, 256, 66),
    IQ2_XS(17, 256, 74),
    IQ3_XXS(18, 256, 98),
    IQ1_S(19, 256, 50),
    IQ4_NL(20, 32, 18),
    IQ3_S(21, 256, 110),
    IQ2_S(22, 256, 82),
    IQ4_XS(23, 256, 136),
    I8(24, 1, 1),
    I16(25, 1, 2),
    I32(26, 1, 4),
    I64(27, 1, 8),
    F64(28, 1, 8),
    IQ1_M(29, 256, 56),
    BF16(30, 1, 2),
    TQ1_0(34, 256, 54),
    TQ2_0(35, 256, 66),
    MXFP4(39, 32, 17);   // one E8M0 scale byte, 16 bytes of FP4 (E2M1) nibbles

    private static final GgmlType[] BY_ID = new GgmlType[40];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockSize;
    private final int bytesPerBlock;

    GgmlType(int id, int blockSize, int bytesPerBlock) {
        this.id = id;
        this.blockSize = blockSize;
        this.bytesPerBlock = bytesPerBlock;
    }

    /** The type with this GGUF id, or null if ggml has no (longer) such type. */
    public static GgmlType fromId(int id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    /** The number written in GGUF tensor infos. */
    public int id() {
        return id;
    }

    /** Elements per block: 1 for plain number types. */
    public int blockSize() {
        return blockSize;
    }

    public int bytesPerBlock() {
        return bytesPerBlock;
    }

    /** Bytes taken by {@code elements} elements; a block type can only hold whole blocks. */
    public long bytesFor(long elements) {
        if (elements < 0 || elements % blockSize != 0) {
            throw new IllegalArgumentException(this + " stores blocks of " + blockSize
                    + " elements; " + elements + " elements is not a whole number of blocks");
        }
        return elements / blockSize * bytesPerBlock;
    }

    /** Whether this engine has a {@link FloatTensor} (scalar reference and vector kernel) for the type. */
    public boolean hasKernels() {
        return switch (this) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K -> true;
            default -> false;
        };
    }

    /**
     * The form activations take before a dot product with weights of this type: llama.cpp's CPU
     * "vec_dot_type". Matching it is what makes our logits match llama.cpp's: the activation is rounded
     * (to half, bfloat16 or 8-bit blocks) exactly where llama.cpp rounds it.
     * Types llama.cpp has no CPU dot product for (the integer types, F64, Q8_K itself) leave the table
     * entry zero, which is F32.
     */
    public GgmlType activationType() {
        return switch (this) {
            case F16 -> F16;
            case BF16 -> BF16;
            case Q4_0, Q5_0, Q8_0, IQ4_NL, MXFP4 -> Q8_0;
            case Q4_1, Q5_1, Q8_1 -> Q8_1;
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ2_XXS, IQ2_XS, IQ3_XXS, IQ1_S, IQ3_S, IQ2_S, IQ4_XS,
                 IQ1_M, TQ1_0, TQ2_0 -> Q8_K;
            case F32, Q8_K, I8, I16, I32, I64, F64 -> F32;
        };
    }
}
