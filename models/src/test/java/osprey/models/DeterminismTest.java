package osprey.models;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import osprey.engine.KvCache;
import osprey.engine.ThreadPool;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The forward pass gives bit-identical logits run after run and for any thread count: work is split by
 * output rows and heads, never by partial sums, so the arithmetic order does not depend on scheduling.
 */
class DeterminismTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"stories260K-Q8_0", "stories260K-Q4_0", "stories260K-F16"})
    void sameLogitsForOneAndTwoThreadsAndRepeatedRuns(String name) {
        Reference ref = Reference.load(name);
        float[] single = logits(ref, 1);
        float[] first = logits(ref, 2);
        float[] second = logits(ref, 2);
        assertThat(first).containsExactly(single);
        assertThat(second).containsExactly(single);
    }

    private static float[] logits(Reference ref, int threads) {
        try (ThreadPool pool = new ThreadPool(threads); Model model = Model.load(ref.model(), pool)) {
            int n = ref.ids().length, vocab = model.config().vocabSize();
            float[] logits = new float[n * vocab];
            KvCache cache = model.newKvCache(n);
            int[] positions = new int[n];
            Arrays.setAll(positions, i -> i);
            model.transformer().forward(ref.ids(), positions, n, cache, true, logits);
            return logits;
        }
    }
}
