package osprey.engine;

/**
 * Where attention keeps the keys and values of the positions a sequence has read. The forward pass only
 * talks to this interface, so the storage can be a dense array today and paged blocks with prefix sharing
 * (the kernel's memory manager) later, without touching the model code.
 *
 * <p>Rows are {@code kvDim = nKvHeads * headDim} floats; a head's slice starts at {@code kvHead * headDim}.
 */
public interface KvCache {

    /** Number of positions this cache can hold. */
    int capacity();

    /** Stores the key and value rows of {@code position} in {@code layer}. */
    void put(int layer, int position, float[] k, int kOffset, float[] v, int vOffset);

    /** q[qOffset .. qOffset+headDim) . K[layer][position][kvHead]. */
    float dotKey(int layer, int position, int kvHead, float[] q, int qOffset);

    /** out[outOffset .. outOffset+headDim) += weight * V[layer][position][kvHead]. */
    void addValue(int layer, int position, int kvHead, float weight, float[] out, int outOffset);
}
