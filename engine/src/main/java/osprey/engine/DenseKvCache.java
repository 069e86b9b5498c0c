package osprey.engine;

/**
 * The simplest {@link KvCache}: one float32 array per layer, {@code [capacity][kvDim]} for keys and the
 * same for values. Float32 storage keeps attention exact (llama.cpp's reference logits use an F32 cache too).
 */
public final class DenseKvCache implements KvCache {
    private final int capacity;
    private final int kvDim;
    private final int headDim;
    private final float[][] keys;   // [layer][capacity * kvDim]
    private final float[][] values; // [layer][capacity * kvDim]

    public DenseKvCache(int layers, int capacity, int nKvHeads, int headDim) {
        this.capacity = capacity;
        this.kvDim = nKvHeads * headDim;
        this.headDim = headDim;
        long perLayer = (long) capacity * kvDim;
        if (perLayer > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("KV cache of " + capacity + " positions x " + kvDim + " floats per layer is too large for one array; use a smaller context");
        }
        this.keys = new float[layers][(int) perLayer];
        this.values = new float[layers][(int) perLayer];
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public void put(int layer, int position, float[] k, int kOffset, float[] v, int vOffset) {
        if (position < 0 || position >= capacity) {
            throw new IndexOutOfBoundsException("position " + position + " outside the KV cache of " + capacity + " positions");
        }
        System.arraycopy(k, kOffset, keys[layer], position * kvDim, kvDim);
        System.arraycopy(v, vOffset, values[layer], position * kvDim, kvDim);
    }

    @Override
    public float dotKey(int layer, int position, int kvHead, float[] q, int qOffset) {
        return VectorMath.dot(q, qOffset, keys[layer], position * kvDim + kvHead * headDim, headDim);
    }

    @Override
    public void addValue(int layer, int position, int kvHead, float weight, float[] out, int outOffset) {
        VectorMath.axpy(weight, values[layer], position * kvDim + kvHead * headDim, out, outOffset, headDim);
    }
}
