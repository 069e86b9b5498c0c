package osprey.engine;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/**
 * The tiled prefill GEMM against its scalar twin and against the decode path (Matmul's integer dots):
 * every type, token counts around the 4-token tile, rows around the 4-row tile and 16-row panel, and rows
 * longer than one 4096-column panel.
 */
class GemmTest {

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void tiledGemmMatchesScalarTwinAndTheDecodePath(GgmlType type) {
        Random rnd = new Random(5);
        int[][] shapes = {{256, 37}, {4352, 19}}; // {nIn, nOut}: nOut not a multiple of 4 or 16; 4352 > one panel
        try (Arena arena = Arena.ofShared(); ThreadPool pool = new ThreadPool(2)) {
            for (int[] shape : shapes) {
                int nIn = shape[0], nOut = shape[1];
                FloatTensor w = TestTensors.random(type, (long) nIn * nOut, rnd, arena);
                for (int tokens : new int[]{1, 3, 4, 5, 9}) {
                    float[] x = new float[tokens * nIn];
                    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                    Activations a = new Activations(type.activationType());
                    a.load(x, 0, tokens, nIn);
                    float[] tiled = new float[tokens * nOut], scalar = new float[tokens * nOut], decode = new float[tokens * nOut];
                    Gemm.matmul(pool, w, nIn, nOut, a, tiled);
                    Gemm.matmulScalar(w, nIn, nOut, a, scalar);
                    Matmul.matmul(pool, w, nIn, nOut, a, decode);
                    // Tolerance from the float summation error of n terms: a small multiple of eps x sum |w x|.
                    float[] wf = new float[nIn * nOut];
                    w.dequantize(0, wf, 0, wf.length);
                    float[] xf = Gemm.floats(a);
                    for (int i = 0; i < tiled.length; i++) {
                        int t = i / nOut, r = i % nOut;
                        double absSum = 0;
                        for (int k = 0; k < nIn; k++) absSum += Math.abs(wf[r * nIn + k] * xf[t * nIn + k]);
                        float tol = (float) (2e-5 * absSum + 1e-6);
                        assertThat(tiled[i]).as("%s %dx%d tokens=%d out=%d vs scalar", type, nIn, nOut, tokens, i).isCloseTo(scalar[i], offset(tol));
                        assertThat(tiled[i]).as("%s %dx%d tokens=%d out=%d vs decode path", type, nIn, nOut, tokens, i).isCloseTo(decode[i], offset(tol));
                    }
                }
            }
        }
    }
}
