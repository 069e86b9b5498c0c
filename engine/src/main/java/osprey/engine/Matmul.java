package osprey.engine;

/**
 * out = x . W^T for a batch of activation rows: {@code out[t][r] = dot(W row r, x row t)}.
 *
 * <p>By far most of the time of a forward pass is spent here. Work is split by output rows across the
 * pool, and each weight row is used for every token of the batch while it is in cache, so a batch of
 * prompt tokens reads the weights from memory once, not once per token. Several matrices that read the
 * same input (q, k and v; gate and up) go in one call: one hand-off to the pool instead of three, and
 * better balance across threads.
 */
public final class Matmul {
    private Matmul() {}

    /** Output rows per chunk below which splitting across threads costs more than it saves. */
    private static final int MIN_ROWS_PER_THREAD = 8;

    /** One weight matrix and where its output goes: {@code out} is {@code [x.rows()][nOut]}, row-major. */
    public record Product(FloatTensor w, int nOut, float[] out) {}

    /**
     * @param w   weight matrix, {@code nOut} rows of {@code nIn} elements
     * @param x   {@code x.rows()} activation rows of {@code nIn}, already in {@code w.type().activationType()}
     * @param out {@code [x.rows()][nOut]}, row-major
     */
    public static void matmul(ThreadPool pool, FloatTensor w, int nIn, int nOut, Activations x, float[] out) {
        matmul(pool, x, nIn, new Product(w, nOut, out));
    }

    /** Every product's matmul with the same input {@code x}, all rows split across the pool in one hand-off. */
    public static void matmul(ThreadPool pool, Activations x, int nIn, Product... products) {
        int totalRows = 0;
        for (Product p : products) {
            if (p.w().type().activationType() != x.format()) {
                throw new IllegalArgumentException(p.w().type() + " weights need " + p.w().type().activationType()
                        + " activations, got " + x.format());
            }
            totalRows += p.nOut();
        }
        int nTokens = x.rows();
        pool.parallelFor(totalRows, MIN_ROWS_PER_THREAD, (start, end) -> {
            int base = 0;
            for (Product p : products) {
                int from = Math.max(start, base) - base, to = Math.min(end, base + p.nOut()) - base;
                FloatTensor w = p.w();
                float[] out = p.out();
                int nOut = p.nOut();
                for (int r = from; r < to; r++) {
                    long rowStart = (long) r * nIn;
                    for (int t = 0; t < nTokens; t++) {
                        out[t * nOut + r] = w.dot(rowStart, x, t, nIn);
                    }
                }
                base += nOut;
            }
        });
    }

    /** The scalar twin of {@link #matmul}: one thread, scalar dot products. The test oracle. */
    public static void matmulScalar(FloatTensor w, int nIn, int nOut, Activations x, float[] out) {
        for (int r = 0; r < nOut; r++) {
            for (int t = 0; t < x.rows(); t++) {
                out[t * nOut + r] = w.dotScalar((long) r * nIn, x, t, nIn);
            }
        }
    }
}
