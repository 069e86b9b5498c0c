package osprey.engine;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The parallel vector matmul against its scalar twin, for every type, batch sizes 1..5. */
class MatmulTest {

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    void parallelVectorMatmulMatchesScalarTwin(GgmlType type) {
        Random rnd = new Random(11);
        int nIn = 96, nOut = 37;
        try (Arena arena = Arena.ofShared(); ThreadPool pool = new ThreadPool(2)) {
            FloatTensor w = TestTensors.random(type, (long) nIn * nOut, rnd, arena);
            for (int tokens = 1; tokens <= 5; tokens++) {
                float[] x = new float[tokens * nIn];
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                Activations a = new Activations(type.activationType());
                a.load(x, 0, tokens, nIn);
                float[] fast = new float[tokens * nOut], slow = new float[tokens * nOut];
                Matmul.matmul(pool, w, nIn, nOut, a, fast);
                Matmul.matmulScalar(w, nIn, nOut, a, slow);
                for (int i = 0; i < fast.length; i++) {
                    float tol = 1e-4f * Math.max(1f, Math.abs(slow[i]));
                    assertThat(fast[i]).as("%s tokens=%d out=%d", type, tokens, i).isCloseTo(slow[i], org.assertj.core.data.Offset.offset(tol));
                }
            }
        }
    }
}
