package osprey.models;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import osprey.engine.KvCache;
import osprey.engine.ThreadPool;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fidelity oracle: Osprey's logits for sequence A against llama.cpp's and against the exact-math
 * ("ideal") logits of ../shared/reference, for every reference model whose tensor types Osprey runs, and
 * llama.cpp's greedy continuations, which must be equal.
 *
 * <p>Why these tolerances (in units of the ideal logits' standard deviation, as in the reference README):
 * <ul>
 * <li>F32 models: llama.cpp and the ideal file agree to n_A &lt; 1e-5; an F32 engine differs only by float
 *     summation order. Osprey measures &lt; 6e-6 against both; the bound is 2e-5.
 * <li>Models whose activations are rounded (F16, BF16, Q8_0, Q4_0 weights): Osprey rounds activations
 *     before each matmul exactly as llama.cpp's CPU backend does, so most rows land within ~1e-6 of
 *     llama.cpp. But a float sum in another order can put one rounded value (an f16 activation, a Q8_0
 *     quant) on the other side of a rounding boundary; the README measures that such a flip moves logits
 *     by up to 0.09 x std, and llama.cpp itself differs between batch and one-by-one evaluation by as much.
 *     So: within 0.1 x std of llama.cpp; within 1.25 x n_A of the ideal logits (n_A = llama.cpp's own
 *     distance to them, README table: the activation rounding, not the weights, sets it); argmax equal
 *     to llama.cpp's on at least 95% of the positions; and the greedy continuation equal to llama.cpp's
 *     up to the first step where llama.cpp's token is a near tie in our logits (within that same 0.1 x std).
 *     Measured: 22 of the 23 models match all 32 tokens; synth-llama-Q6_K matches 30.
 * </ul>
 */
class ReferenceLogitsTest {
    private static ThreadPool pool;

    @BeforeAll
    static void start() {
        pool = new ThreadPool(2);
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            // name,               model file (under ../shared),                            activations, n_A (README)
            "stories260K,           models/stories260K/stories260K.gguf,                       float,   1.07e-06",
            "stories260K-F16,       reference/stories260K-F16.gguf,                            rounded, 8.61e-04",
            "stories260K-BF16,      reference/stories260K-BF16.gguf,                           rounded, 6.28e-03",
            "stories260K-Q8_0,      reference/stories260K-Q8_0.gguf,                           rounded, 2.32e-02",
            "stories260K-Q4_0,      reference/stories260K-Q4_0.gguf,                           rounded, 2.35e-02",
            "llama-2-tiny-random,   models/ollama-tiny-random/llama-2-tiny-random.gguf,        rounded, 1.43e-03",
            "synth-llama-F32,       reference/synth-llama-F32.gguf,                            float,   3.11e-06",
            "synth-llama-F16,       reference/synth-llama-F16.gguf,                            rounded, 2.62e-03",
            "synth-llama-BF16,      reference/synth-llama-BF16.gguf,                           rounded, 2.41e-02",
            "synth-llama-Q8_0,      reference/synth-llama-Q8_0.gguf,                           rounded, 7.16e-02",
            "synth-llama3rope-F32,  reference/synth-llama3rope-F32.gguf,                       float,   6.51e-06",
            "synth-llama3rope-Q8_0, reference/synth-llama3rope-Q8_0.gguf,                      rounded, 1.99e-01",
            "synth-qwen2-F32,       reference/synth-qwen2-F32.gguf,                            float,   7.51e-06",
            "synth-qwen2-Q8_0,      reference/synth-qwen2-Q8_0.gguf,                           rounded, 1.34e-01",
            "synth-llama-Q4_0,      reference/synth-llama-Q4_0.gguf,                           rounded, 7.01e-02",
            "synth-llama-Q4_K_M,    reference/synth-llama-Q4_K_M.gguf,                         rounded, 9.33e-02",
            "synth-llama-Q6_K,      reference/synth-llama-Q6_K.gguf,                           rounded, 8.99e-02",
            "synth-llama3rope-Q4_0, reference/synth-llama3rope-Q4_0.gguf,                      rounded, 1.64e-01",
            "synth-llama3rope-Q4_K_M, reference/synth-llama3rope-Q4_K_M.gguf,                  rounded, 2.76e-01",
            "synth-llama3rope-Q6_K, reference/synth-llama3rope-Q6_K.gguf,                      rounded, 2.59e-01",
            "synth-qwen2-Q4_0,      reference/synth-qwen2-Q4_0.gguf,                           rounded, 1.74e-01",
            "synth-qwen2-Q4_K_M,    reference/synth-qwen2-Q4_K_M.gguf,                         rounded, 2.29e-01",
            "synth-qwen2-Q6_K,      reference/synth-qwen2-Q6_K.gguf,                           rounded, 2.14e-01",
    })
    void logitsAndGreedyMatchLlamaCpp(String name, String modelPath, String activations, double nA) {
        Reference ref = Reference.load(name, SharedData.require(modelPath));
        try (Model model = Model.load(ref.model(), pool)) {
            int vocab = model.config().vocabSize();
            int n = ref.ids().length;
            float[] logits = new float[n * vocab];
            KvCache cache = model.newKvCache(512);
            int[] positions = new int[n];
            Arrays.setAll(positions, i -> i);
            model.transformer().forward(ref.ids(), positions, n, cache, true, logits);

            double std = Reference.std(ref.idealLogits());
            double vsLlama = Reference.maxAbsDiff(logits, ref.llamaCppLogits()) / std;
            double vsIdeal = Reference.maxAbsDiff(logits, ref.idealLogits()) / std;
            double agree = Reference.argmaxAgreement(logits, ref.llamaCppLogits(), vocab);
            System.out.printf("%-22s vs llama.cpp %.3e x std, vs ideal %.3e x std (llama.cpp n_A %.2e), argmax agreement %.3f%n",
                    name, vsLlama, vsIdeal, nA, agree);
            // OSPREY_DEBUG_ROWS=1 prints the distance per position: an isolated rounding flip shows as a
            // few rows far off amid rows within 1e-6, a real bug as every row off.
            if (System.getenv("OSPREY_DEBUG_ROWS") != null) {
                for (int r = 0; r < n; r++) {
                    double m = 0, mi = 0;
                    for (int i = 0; i < vocab; i++) {
                        m = Math.max(m, Math.abs(logits[r * vocab + i] - ref.llamaCppLogits()[r * vocab + i]));
                        mi = Math.max(mi, Math.abs(logits[r * vocab + i] - ref.idealLogits()[r * vocab + i]));
                    }
                    System.out.printf("  row %2d: vs llama.cpp %.3e, vs ideal %.3e%n", r, m / std, mi / std);
                }
            }
            boolean exact = activations.equals("float");
            assertThat(vsLlama).as("max |osprey - llama.cpp| / std").isLessThan(exact ? 2e-5 : 0.1);
            assertThat(vsIdeal).as("max |osprey - ideal| / std").isLessThan(exact ? 2e-5 : 1.25 * nA);
            assertThat(agree).as("share of positions whose argmax equals llama.cpp's").isGreaterThanOrEqualTo(0.95);

            // Greedy: the first 8 ids in one batch, then one token per forward, as llama.cpp's file was made.
            // Where llama.cpp's token is not ours, it must be a near tie in our logits: within the 0.1 x std
            // that one rounding flip can move a logit (README); from there on the two runs read different
            // tokens, so the comparison ends.
            int matched = compareGreedy(model, Arrays.copyOf(ref.ids(), 8), ref.greedy(), exact ? 0 : 0.1 * std);
            System.out.printf("%-22s greedy: %d of %d tokens equal to llama.cpp's%n", name, matched, ref.greedy().length);
        }
    }

    /**
     * Decodes greedily after {@code prompt}, comparing with llama.cpp's {@code expected} tokens; returns how
     * many matched. A differing token is accepted only as a near tie (llama.cpp's choice within
     * {@code tieTolerance} of our best logit), and ends the comparison.
     */
    static int compareGreedy(Model model, int[] prompt, int[] expected, double tieTolerance) {
        int vocab = model.config().vocabSize();
        KvCache cache = model.newKvCache(prompt.length + expected.length);
        float[] logits = new float[vocab];
        int[] positions = new int[prompt.length];
        Arrays.setAll(positions, i -> i);
        model.transformer().forward(prompt, positions, prompt.length, cache, false, logits);
        for (int i = 0; i < expected.length; i++) {
            int ours = Sampler.argmax(logits);
            if (ours != expected[i]) {
                assertThat((double) logits[ours] - logits[expected[i]])
                        .as("step %d: we chose %d, llama.cpp %d; not a near tie in our logits", i, ours, expected[i])
                        .isLessThanOrEqualTo(tieTolerance);
                return i;
            }
            model.transformer().forward(new int[]{ours}, new int[]{prompt.length + i}, 1, cache, false, logits);
        }
        return expected.length;
    }

    static int[] greedy(Model model, int[] prompt, int steps) {
        int vocab = model.config().vocabSize();
        KvCache cache = model.newKvCache(prompt.length + steps);
        float[] logits = new float[vocab];
        int[] positions = new int[prompt.length];
        Arrays.setAll(positions, i -> i);
        model.transformer().forward(prompt, positions, prompt.length, cache, false, logits);
        int[] out = new int[steps];
        for (int i = 0; i < steps; i++) {
            out[i] = Sampler.argmax(logits);
            if (i + 1 < steps) {
                model.transformer().forward(new int[]{out[i]}, new int[]{prompt.length + i}, 1, cache, false, logits);
            }
        }
        return out;
    }
}
