package osprey.models;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import osprey.engine.Activations;
import osprey.engine.FloatTensor;
import osprey.engine.GgmlType;
import osprey.engine.Quantizer;
import osprey.models.gguf.GgufFile;
import osprey.models.gguf.TensorInfo;

import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The engine's K-quant types on files llama-quantize wrote (../shared/reference, synth-llama: every
 * 2-D weight in Q6_K, or the Q4_K/Q6_K mix of Q4_K_M), checked three independent ways: the vector dot
 * against the scalar one and the exact sum; the dequantized weights against the distribution the
 * F32 master was drawn from; and our quantizers, run on the F32 master, against the file's bytes.
 */
class KQuantDequantizeTest {

    private static final String DIR = "reference/";

    /** Every Q4_K/Q6_K weight row: vector dot = scalar dot = sum of getFloat * activation, to float rounding. */
    @ParameterizedTest
    @ValueSource(strings = {"synth-llama-Q6_K", "synth-llama-Q4_K_M"})
    void vectorDotMatchesScalarOnEveryRealRow(String model) {
        Random rnd = new Random(7);
        int checked = 0;
        try (GgufFile gguf = GgufFile.open(SharedData.require(DIR + model + ".gguf"))) {
            for (TensorInfo t : gguf.tensors().values()) {
                if (t.type() != GgmlType.Q4_K && t.type() != GgmlType.Q6_K) continue;
                FloatTensor w = gguf.tensor(t.name());
                int nIn = (int) t.shape()[0];
                int rows = (int) (t.elements() / nIn);
                float[] a = new float[2 * nIn];
                for (int i = 0; i < a.length; i++) a[i] = (float) (rnd.nextGaussian() * Math.exp(rnd.nextGaussian()));
                Activations x = new Activations(GgmlType.Q8_K);
                x.load(a, 0, 2, nIn);
                float[] wRow = new float[nIn];
                for (int r = 0; r < rows; r++) {
                    w.dequantize((long) r * nIn, wRow, 0, nIn);
                    for (int xr = 0; xr < 2; xr++) {
                        double exact = 0, abs = 0;
                        for (int i = 0; i < nIn; i++) {
                            assertThat(wRow[i]).isEqualTo(w.getFloat((long) r * nIn + i));
                            int k = xr * nIn + i;
                            double term = (double) wRow[i] * x.quants()[k] * x.scales()[k / 256];
                            exact += term;
                            abs += Math.abs(term);
                        }
                        double tolerance = 1e-5 * abs;
                        String what = model + " " + t.name() + " row " + r;
                        assertThat((double) w.dotScalar((long) r * nIn, x, xr, nIn)).as(what).isCloseTo(exact, within(tolerance));
                        assertThat((double) w.dot((long) r * nIn, x, xr, nIn)).as(what).isCloseTo(exact, within(tolerance));
                    }
                    checked++;
                }
            }
        }
        assertThat(checked).as("K-quant rows checked").isGreaterThan(1000);
    }

    /**
     * The master's matrices are N(0, (g / sqrt(fan_in))^2), g = 1.5 for attn_q and attn_k, 2 for the
     * untied output.weight, 1 elsewhere; token embeddings N(0, 1). Quantization adds under 1 % to the
     * std, so wrong scale unpacking (which scrambles magnitudes) shows at once. A wrong element order
     * would keep these statistics, so each weight is also compared with the master's: the difference
     * must be the format's quantization noise (measured: about 1.8 % of the std for Q6_K, 7 % for
     * Q4_K), not the 140 % of an unrelated value.
     */
    @ParameterizedTest
    @ValueSource(strings = {"synth-llama-Q6_K", "synth-llama-Q4_K_M"})
    void dequantizedWeightsHaveTheMastersDistributionAndValues(String model) {
        int checked = 0;
        try (GgufFile gguf = GgufFile.open(SharedData.require(DIR + model + ".gguf"));
             GgufFile master = GgufFile.open(SharedData.require(DIR + "synth-llama-F32.gguf"))) {
            for (TensorInfo t : gguf.tensors().values()) {
                if (t.type() != GgmlType.Q4_K && t.type() != GgmlType.Q6_K) continue;
                int n = (int) t.elements();
                float[] w = new float[n];
                float[] m = new float[n];
                gguf.tensor(t.name()).dequantize(0, w, 0, n);
                master.tensor(t.name()).dequantize(0, m, 0, n);
                double sum = 0, sum2 = 0, diff2 = 0;
                for (int i = 0; i < n; i++) {
                    sum += w[i];
                    sum2 += (double) w[i] * w[i];
                    diff2 += (double) (w[i] - m[i]) * (w[i] - m[i]);
                }
                double mean = sum / n;
                double std = Math.sqrt(sum2 / n - mean * mean);
                double expected = expectedStd(t);
                String what = model + " " + t.name() + " " + t.type();
                assertThat(std).as("%s std", what).isCloseTo(expected, within(0.03 * expected));
                assertThat(Math.abs(mean)).as("%s mean", what).isLessThan(5 * expected / Math.sqrt(n));
                double noise = t.type() == GgmlType.Q6_K ? 0.025 : 0.09;
                assertThat(Math.sqrt(diff2 / n)).as("%s RMS difference from the master", what).isLessThan(noise * expected);
                checked++;
            }
        }
        assertThat(checked).isEqualTo(16);
    }

    private static double expectedStd(TensorInfo t) {
        String name = t.name();
        if (name.equals("token_embd.weight")) return 1;
        double g = name.endsWith("attn_q.weight") || name.endsWith("attn_k.weight") ? 1.5 : name.equals("output.weight") ? 2 : 1;
        return g / Math.sqrt(t.shape()[0]);
    }

    /**
     * The engine's quantizers, given the F32 master's weights, write exactly the bytes llama-quantize
     * wrote (reference quantizers, no importance matrix), for every tensor of every type we can write.
     */
    @ParameterizedTest
    @ValueSource(strings = {"synth-llama-Q6_K", "synth-llama-Q4_K_M", "synth-llama-Q8_0", "synth-llama-Q4_0"})
    void quantizingTheMasterReproducesLlamaQuantizesBytes(String model) {
        int checked = 0;
        try (GgufFile master = GgufFile.open(SharedData.require(DIR + "synth-llama-F32.gguf"));
             GgufFile quantized = GgufFile.open(SharedData.require(DIR + model + ".gguf"))) {
            for (TensorInfo t : quantized.tensors().values()) {
                if (t.type() == GgmlType.F32) continue;  // norms: never quantized
                int n = (int) t.elements();
                float[] x = new float[n];
                master.tensor(t.name()).dequantize(0, x, 0, n);
                byte[] ours = new byte[(int) t.type().bytesFor(n)];
                Quantizer.quantize(t.type(), x, 0, n, ours, 0);
                byte[] theirs = quantized.tensorData(t).toArray(ValueLayout.JAVA_BYTE);
                int mismatch = Arrays.mismatch(ours, theirs);
                assertThat(mismatch).as("%s %s (%s): first differing byte, in block %d", model, t.name(), t.type(),
                        mismatch / t.type().bytesPerBlock()).isEqualTo(-1);
                checked++;
            }
        }
        assertThat(checked).isEqualTo(16);
    }
}
