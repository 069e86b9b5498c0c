package osprey.engine;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A read-only, zero-copy view of {@code size} elements of one ggml type, usually straight into the
 * memory-mapped GGUF file (little-endian). One subclass per type holds its block layout, a scalar
 * reference and the vector kernel; the scalar twin is the oracle the vector kernel is tested against.
 *
 * <p>By far most of the engine's time is spent in {@link #dot}: every matmul is one dot per output row.
 */
public abstract sealed class FloatTensor permits F32Tensor, F16Tensor, BF16Tensor, Q8_0Tensor, Q4_0Tensor,
        Q4_KTensor, Q6_KTensor {
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final GgmlType type;
    final GgmlType activationType;  // cached: checked on every dot
    final MemorySegment data;  // exactly type.bytesFor(size) bytes
    final long size;

    FloatTensor(GgmlType type, MemorySegment data, long size) {
        long bytes = type.bytesFor(size);
        if (data.byteSize() < bytes) {
            throw new IllegalArgumentException(size + " elements of " + type + " need " + bytes
                    + " bytes, the segment has " + data.byteSize());
        }
        this.type = type;
        this.activationType = type.activationType();
        this.data = data.asSlice(0, bytes);
        this.size = size;
    }

    /** A tensor of {@code type} over {@code data}; only types with {@link GgmlType#hasKernels()}. */
    public static FloatTensor of(GgmlType type, MemorySegment data, long size) {
        return switch (type) {
            case F32 -> new F32Tensor(data, size);
            case F16 -> new F16Tensor(data, size);
            case BF16 -> new BF16Tensor(data, size);
            case Q8_0 -> new Q8_0Tensor(data, size);
            case Q4_0 -> new Q4_0Tensor(data, size);
            case Q4_K -> new Q4_KTensor(data, size);
            case Q6_K -> new Q6_KTensor(data, size);
            default -> throw new IllegalArgumentException("no kernels for tensor type " + type);
        };
    }

    public final GgmlType type() {
        return type;
    }

    public final long size() {
        return size;
    }

    /** Element {@code index}, dequantized: the scalar reference for everything else. */
    public abstract float getFloat(long index);

    /** Writes elements {@code from .. from + n} to {@code out[outOffset..]}, exactly as {@link #getFloat}. */
    public void dequantize(long from, float[] out, int outOffset, int n) {
        Objects.checkFromIndexSize(from, n, size);
        Objects.checkFromIndexSize(outOffset, n, out.length);
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = getFloat(from + i);
        }
    }

    /**
     * The argument checks of {@link #dequantize}; true when the range is whole blocks of
     * {@code step}-aligned runs that the vector overrides handle (else they take the scalar path).
     */
    final boolean checkDequantize(long from, float[] out, int outOffset, int n, int step) {
        Objects.checkFromIndexSize(from, n, size);
        Objects.checkFromIndexSize(outOffset, n, out.length);
        int block = type.blockSize();
        return VectorMath.LB != null && from % block == 0 && n % block == 0 && step % VectorMath.L == 0;
    }

    /**
     * Dot product of the {@code n} weights from element {@code from} with activation row {@code row}
     * (converted to {@code type().activationType()}); vectorised. For block types, {@code from} and
     * {@code n} are whole blocks.
     */
    public abstract float dot(long from, Activations x, int row, int n);

    /**
     * The plain scalar twin of {@link #dot}, summing in llama.cpp's order: the test oracle. This one is
     * for the float types (F32, F16, BF16), whose activations are floats; the block types override it.
     */
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

    /**
     * The checks both dots share, small enough to inline: cheap next to the O(n) work they guard.
     * (The kernels read the weights through bounds-checked segment and array accesses anyway; these
     * turn a wrong call into a clear message instead of a wrong sum.)
     */
    final void checkDot(long from, Activations x, int row, int n) {
        int block = type.blockSize();
        if (x.format() != activationType || n > x.cols() || (from | n) % block != 0) {
            throw badDot(from, x, n);
        }
        Objects.checkFromIndexSize(from, n, size);
        Objects.checkIndex(row, x.rows());
    }

    private IllegalArgumentException badDot(long from, Activations x, int n) {
        if (x.format() != activationType) {
            return new IllegalArgumentException(type + " weights multiply " + activationType
                    + " activations, got " + x.format());
        }
        if (n > x.cols()) {
            return new IllegalArgumentException("dot of " + n + " elements with rows of " + x.cols());
        }
        return new IllegalArgumentException(type + " dot must cover whole blocks of " + type.blockSize()
                + ": from " + from + ", n " + n);
    }

    @Override
    public String toString() {
        return type() + "[" + size + "]";
    }
}
