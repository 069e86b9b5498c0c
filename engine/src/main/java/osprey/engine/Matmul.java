package osprey.engine;

/**
 * out = x . W^T for a batch of activation rows: {@code out[t][r] = dot(W row r, x row t)}.
 *
 * <p>By far most of the time of a forward pass is spent here. Work is split by output rows across the
 * pool, and each weight row is used for every token of the batch while it is in cache, so a batch of
 * prompt tokens reads the weights from memory once, not once per token.
 */
public final class Matmul {
    private Matmul() {}

    /** Output rows per chunk below which splitting across threads costs more than it saves. */
    private static final int MIN_ROWS_PER_THREAD = 8;

    /**
     * @param w   weight matrix, {@code nOut} rows of {@code nIn} elements
     * @param x   {@code x.rows()} activation rows of {@code nIn}, already in {@code w.type().activationType()}
     * @param out {@code [x.rows()][nOut]}, row-major
     */
    public static void matmul(ThreadPool pool, FloatTensor w, int nIn, int nOut, Activations x, float[] out) {
        int nTokens = x.rows();
        pool.parallelFor(nOut, MIN_ROWS_PER_THREAD, (start, end) -> {
            for (int r = start; r < end; r++) {
                long from = (long) r * nIn;
                for (int t = 0; t < nTokens; t++) {
                    out[t * nOut + r] = w.dot(from, x, t, nIn);
                }
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
