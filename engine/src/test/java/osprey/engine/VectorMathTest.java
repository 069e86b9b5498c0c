package osprey.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class VectorMathTest {
    private static final int[] SIZES = sizes();

    private static int[] sizes() {
        int[] s = new int[73];
        for (int n = 0; n <= 70; n++) {
            s[n] = n;
        }
        s[71] = 4096 + 17;
        s[72] = 11008;
        return s;
    }

    @Test
    void dotMatchesScalarWithinSummationOrder() {
        Random rnd = new Random(1);
        for (int n : SIZES) {
            float[] a = TestTensors.randomFloats(rnd, n + 3);
            float[] b = TestTensors.randomFloats(rnd, n + 5);
            double absSum = 0;
            for (int i = 0; i < n; i++) {
                absSum += Math.abs((double) a[3 + i] * b[5 + i]);
            }
            float scalar = VectorMath.dotScalar(a, 3, b, 5, n);
            assertThat((double) VectorMath.dot(a, 3, b, 5, n)).as("n %d", n)
                    .isCloseTo(scalar, within(1e-5 * absSum + Float.MIN_NORMAL));
        }
    }

    @Test
    void elementwiseKernelsMatchScalarExactly() {
        Random rnd = new Random(2);
        for (int n : SIZES) {
            float[] x = TestTensors.randomFloats(rnd, n + 1);
            float[] y = TestTensors.randomFloats(rnd, n + 2);
            float alpha = (float) rnd.nextGaussian();

            float[] v = y.clone(), s = y.clone();
            VectorMath.axpy(alpha, x, 1, v, 2, n);
            VectorMath.axpyScalar(alpha, x, 1, s, 2, n);
            assertThat(v).as("axpy n %d", n).containsExactly(s);

            VectorMath.scale(alpha, v, 1, n);
            VectorMath.scaleScalar(alpha, s, 1, n);
            assertThat(v).as("scale n %d", n).containsExactly(s);

            VectorMath.add(x, 1, v, 2, n);
            VectorMath.addScalar(x, 1, s, 2, n);
            assertThat(v).as("add n %d", n).containsExactly(s);
        }
    }

    @Test
    void axpyIsFused() {
        // (1 + 2^-23)(1 - 2^-23) = 1 - 2^-46: a separately rounded product would be 1, leaving 0
        for (int n : new int[] {1, 4 * VectorMath.L}) {
            float[] x = new float[n];
            float[] y = new float[n];
            java.util.Arrays.fill(x, 1 - 0x1p-23f);
            java.util.Arrays.fill(y, -1f);
            VectorMath.axpy(1 + 0x1p-23f, x, 0, y, 0, n);
            assertThat(y).containsOnly(-0x1p-46f);
        }
    }
}
