package osprey.engine;

import jdk.incubator.vector.FloatVector;

import static osprey.engine.VectorMath.F;
import static osprey.engine.VectorMath.L;

/**
 * Batched matmul for prefill: many tokens at once, where arithmetic, not memory, is the limit.
 *
 * <p>A decode step multiplies each weight once, so its kernels stream the weights in their packed form.
 * Prefill multiplies each weight by every token of the batch; unpacking the weight again for every token
 * would cost more than the multiply. So here each group of {@value #ROWS} weight rows is dequantized once
 * into a float panel (exact: every type's weights are exact floats), and a register-tiled kernel multiplies
 * that panel with {@value #TOKENS} activation rows at a time: per step, 4 weight vectors and 4 activation
 * vectors feed 16 fused multiply-adds.
 *
 * <p>The activations are the ones llama.cpp multiplies with: already rounded to the weight type's
 * activation format (Q8_0 values as q x d), so the result equals the integer-dot path up to float
 * summation order.
 */
public final class Gemm {
    private Gemm() {}

    static final int ROWS = 4;
    static final int TOKENS = 4;
    /** Rows dequantized together: a panel that stays in L2 while every token block passes over it. */
    static final int PANEL_ROWS = 16;
    /**
     * Columns of a panel at most (a multiple of every block size): 16 x 4096 floats = 256 KB, within L2.
     * Rows up to this long are done in one pass, so each of the kernel's 16 sums is reduced once per row.
     */
    static final int PANEL_COLS = 4096;

    /**
     * out (T, nOut) = x (T, nIn) . W^T.
     *
     * <p>Loop order, per panel of 16 rows and 1024 columns: dequantize it (once), then for each block of 4
     * tokens (their 1024 columns of x, 16 KB, stay in L1) run the 4 x 4 kernel over the panel's 4 groups
     * of 4 rows. Partial sums of successive column chunks add up in {@code out}.
     *
     * @param x activation rows in {@code w.type().activationType()}, at least 1
     */
    public static void matmul(ThreadPool pool, FloatTensor w, int nIn, int nOut, Activations x, float[] out) {
        float[] xf = floats(x);
        int nTokens = x.rows();
        java.util.Arrays.fill(out, 0, nTokens * nOut, 0f);
        int panels = (nOut + PANEL_ROWS - 1) / PANEL_ROWS;
        pool.parallelFor(panels, 1, (start, end) -> {
            float[] panel = new float[PANEL_ROWS * PANEL_COLS];
            float[] lanes = new float[16 * L]; // the micro-kernel's accumulators, stored for reduction
            for (int pIdx = start; pIdx < end; pIdx++) {
                int r0 = pIdx * PANEL_ROWS, rows = Math.min(PANEL_ROWS, nOut - r0);
                for (int k0 = 0; k0 < nIn; k0 += PANEL_COLS) {
                    int cols = Math.min(PANEL_COLS, nIn - k0);
                    for (int r = 0; r < rows; r++) w.dequantize((long) (r0 + r) * nIn + k0, panel, r * cols, cols);
                    int t = 0;
                    for (; t + TOKENS <= nTokens; t += TOKENS) {
                        int r = 0;
                        for (; r + ROWS <= rows; r += ROWS) tile4x4(panel, r * cols, xf, t * nIn + k0, nIn, cols, out, t * nOut + r0 + r, nOut, lanes);
                        for (; r < rows; r++) {
                            for (int tt = t; tt < t + TOKENS; tt++) out[tt * nOut + r0 + r] += VectorMath.dot(panel, r * cols, xf, tt * nIn + k0, cols);
                        }
                    }
                    for (; t < nTokens; t++) {
                        for (int r = 0; r < rows; r++) out[t * nOut + r0 + r] += VectorMath.dot(panel, r * cols, xf, t * nIn + k0, cols);
                    }
                }
            }
        });
    }

    /**
     * The 4 x 4 micro-kernel: 4 panel rows (from {@code p0}, stride n) times 4 activation rows (from
     * {@code x0}, stride xStride), n columns, added into out (from {@code o0}: rows of tokens, stride
     * oStride). Sixteen accumulators stay in registers (AVX-512 has 32); everything is in this one method so
     * that C2 keeps the vectors in registers (a helper taking vectors, if not inlined, boxes them).
     */
    private static void tile4x4(float[] p, int p0, float[] x, int x0, int xStride, int n, float[] out, int o0, int oStride,
                                float[] lanes) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int x1 = x0 + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        int p1 = p0 + n, p2 = p1 + n, p3 = p2 + n;
        int i = 0;
        for (; i + L <= n; i += L) {
            FloatVector w0 = FloatVector.fromArray(F, p, p0 + i);
            FloatVector w1 = FloatVector.fromArray(F, p, p1 + i);
            FloatVector w2 = FloatVector.fromArray(F, p, p2 + i);
            FloatVector w3 = FloatVector.fromArray(F, p, p3 + i);
            FloatVector v = FloatVector.fromArray(F, x, x0 + i);
            a00 = w0.fma(v, a00); a10 = w1.fma(v, a10); a20 = w2.fma(v, a20); a30 = w3.fma(v, a30);
            v = FloatVector.fromArray(F, x, x1 + i);
            a01 = w0.fma(v, a01); a11 = w1.fma(v, a11); a21 = w2.fma(v, a21); a31 = w3.fma(v, a31);
            v = FloatVector.fromArray(F, x, x2 + i);
            a02 = w0.fma(v, a02); a12 = w1.fma(v, a12); a22 = w2.fma(v, a22); a32 = w3.fma(v, a32);
            v = FloatVector.fromArray(F, x, x3 + i);
            a03 = w0.fma(v, a03); a13 = w1.fma(v, a13); a23 = w2.fma(v, a23); a33 = w3.fma(v, a33);
        }
        // Reduce the 16 accumulators through the caller's scratch array, each in the fixed order of sumLanes.
        a00.intoArray(lanes, 0); a01.intoArray(lanes, L); a02.intoArray(lanes, 2 * L); a03.intoArray(lanes, 3 * L);
        a10.intoArray(lanes, 4 * L); a11.intoArray(lanes, 5 * L); a12.intoArray(lanes, 6 * L); a13.intoArray(lanes, 7 * L);
        a20.intoArray(lanes, 8 * L); a21.intoArray(lanes, 9 * L); a22.intoArray(lanes, 10 * L); a23.intoArray(lanes, 11 * L);
        a30.intoArray(lanes, 12 * L); a31.intoArray(lanes, 13 * L); a32.intoArray(lanes, 14 * L); a33.intoArray(lanes, 15 * L);
        float s00 = VectorMath.sumLanes(lanes, 0), s01 = VectorMath.sumLanes(lanes, L), s02 = VectorMath.sumLanes(lanes, 2 * L), s03 = VectorMath.sumLanes(lanes, 3 * L);
        float s10 = VectorMath.sumLanes(lanes, 4 * L), s11 = VectorMath.sumLanes(lanes, 5 * L), s12 = VectorMath.sumLanes(lanes, 6 * L), s13 = VectorMath.sumLanes(lanes, 7 * L);
        float s20 = VectorMath.sumLanes(lanes, 8 * L), s21 = VectorMath.sumLanes(lanes, 9 * L), s22 = VectorMath.sumLanes(lanes, 10 * L), s23 = VectorMath.sumLanes(lanes, 11 * L);
        float s30 = VectorMath.sumLanes(lanes, 12 * L), s31 = VectorMath.sumLanes(lanes, 13 * L), s32 = VectorMath.sumLanes(lanes, 14 * L), s33 = VectorMath.sumLanes(lanes, 15 * L);
        for (; i < n; i++) { // columns beyond the last whole vector
            float w0 = p[p0 + i], w1 = p[p1 + i], w2 = p[p2 + i], w3 = p[p3 + i];
            float v0 = x[x0 + i], v1 = x[x1 + i], v2 = x[x2 + i], v3 = x[x3 + i];
            s00 += w0 * v0; s01 += w0 * v1; s02 += w0 * v2; s03 += w0 * v3;
            s10 += w1 * v0; s11 += w1 * v1; s12 += w1 * v2; s13 += w1 * v3;
            s20 += w2 * v0; s21 += w2 * v1; s22 += w2 * v2; s23 += w2 * v3;
            s30 += w3 * v0; s31 += w3 * v1; s32 += w3 * v2; s33 += w3 * v3;
        }
        int o1 = o0 + oStride, o2 = o1 + oStride, o3 = o2 + oStride;
        out[o0] += s00; out[o0 + 1] += s10; out[o0 + 2] += s20; out[o0 + 3] += s30;
        out[o1] += s01; out[o1 + 1] += s11; out[o1 + 2] += s21; out[o1 + 3] += s31;
        out[o2] += s02; out[o2 + 1] += s12; out[o2 + 2] += s22; out[o2 + 3] += s32;
        out[o3] += s03; out[o3 + 1] += s13; out[o3 + 2] += s23; out[o3 + 3] += s33;
    }

    /** The activations as the floats llama.cpp multiplies: rounded values; Q8_0 and Q8_K as q x d. */
    static float[] floats(Activations x) {
        int block = switch (x.format()) {
            case Q8_0 -> GgmlType.Q8_0.blockSize();
            case Q8_K -> GgmlType.Q8_K.blockSize();
            default -> 0;
        };
        if (block == 0) return x.values();
        byte[] q = x.quants();
        float[] d = x.scales();
        int n = x.rows() * x.cols();
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = q[i] * d[i / block];
        return f;
    }

    /** The scalar twin: plain triple loop over getFloat. The test oracle. */
    public static void matmulScalar(FloatTensor w, int nIn, int nOut, Activations x, float[] out) {
        float[] xf = floats(x);
        for (int t = 0; t < x.rows(); t++) {
            for (int r = 0; r < nOut; r++) {
                float sum = 0;
                for (int i = 0; i < nIn; i++) sum += w.getFloat((long) r * nIn + i) * xf[t * nIn + i];
                out[t * nOut + r] = sum;
            }
        }
    }
}
