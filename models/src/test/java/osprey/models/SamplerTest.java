package osprey.models;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SamplerTest {
    private static final int[] NONE = new int[0];

    @Test
    void greedyTakesTheLargestLogitAndTheLowestIdOnTies() {
        Sampler s = new Sampler(SamplerConfig.greedy());
        assertThat(s.sample(new float[]{0.1f, 3f, -1f, 3f}, NONE, 0)).isEqualTo(1);
        assertThat(s.sample(new float[]{-5f, -4f, -6f}, NONE, 0)).isEqualTo(1);
    }

    @Test
    void topKOfOneIsGreedy() {
        Sampler s = new Sampler(new SamplerConfig(1.5f, 1, 1f, 0f, 1f, 64, 3));
        float[] logits = {0.5f, 0.1f, 0.7f, 0.69f};
        for (int i = 0; i < 50; i++) assertThat(s.sample(logits.clone(), NONE, 0)).isEqualTo(2);
    }

    @Test
    void sameSeedSameDrawsDifferentSeedDifferentDraws() {
        float[] logits = new float[64];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) Math.sin(i);
        SamplerConfig a = new SamplerConfig(1f, 0, 1f, 0f, 1f, 64, 99);
        int[] x = draws(new Sampler(a), logits), y = draws(new Sampler(a), logits);
        int[] z = draws(new Sampler(new SamplerConfig(1f, 0, 1f, 0f, 1f, 64, 100)), logits);
        assertThat(x).containsExactly(y);
        assertThat(x).isNotEqualTo(z);
    }

    @Test
    void topPKeepsOnlyTheSmallestSetReachingP() {
        // Probabilities ~ 0.64, 0.24, 0.09, 0.03: top-p 0.8 keeps the first two only.
        float[] logits = {3f, 2f, 1f, 0f};
        Sampler s = new Sampler(new SamplerConfig(1f, 0, 0.8f, 0f, 1f, 64, 5));
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) seen.add(s.sample(logits.clone(), NONE, 0));
        assertThat(seen).containsExactlyInAnyOrder(0, 1);
    }

    @Test
    void minPDropsTokensFarLessLikelyThanTheBest() {
        // p(1)/p(0) = e^-1 = 0.37 stays at min-p 0.3; p(2)/p(0) = e^-2 = 0.14 goes.
        float[] logits = {3f, 2f, 1f, 0f};
        Sampler s = new Sampler(new SamplerConfig(1f, 0, 1f, 0.3f, 1f, 64, 5));
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 2000; i++) seen.add(s.sample(logits.clone(), NONE, 0));
        assertThat(seen).containsExactlyInAnyOrder(0, 1);
    }

    @Test
    void temperatureSharpensAndFlattens() {
        float[] logits = {1f, 0f};
        assertThat(share0(new SamplerConfig(0.25f, 0, 1f, 0f, 1f, 64, 1), logits)).isGreaterThan(0.95);
        assertThat(share0(new SamplerConfig(4f, 0, 1f, 0f, 1f, 64, 1), logits)).isBetween(0.5, 0.65);
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfRecentTokens() {
        Sampler s = new Sampler(new SamplerConfig(0f, 0, 1f, 0f, 2f, 2, 0));
        float[] logits = {4f, 3f, -1f, 1f};
        int[] recent = {0, 2, 2};  // last 2: token 2 (twice), so only token 2 is penalised
        s.sample(logits, recent, 3);
        assertThat(logits).containsExactly(4f, 3f, -2f, 1f);
        float[] l2 = {4f, 3f, -1f, 1f};
        int chosen = new Sampler(new SamplerConfig(0f, 0, 1f, 0f, 2f, 64, 0)).sample(l2, new int[]{0}, 1);
        assertThat(l2[0]).isEqualTo(2f);
        assertThat(chosen).isEqualTo(1);
    }

    @Test
    void invalidSettingsAreRejected() {
        assertThatThrownBy(() -> new SamplerConfig(1f, -1, 1f, 0f, 1f, 64, 0)).hasMessageContaining("top-k");
        assertThatThrownBy(() -> new SamplerConfig(1f, 0, 0f, 0f, 1f, 64, 0)).hasMessageContaining("top-p");
        assertThatThrownBy(() -> new SamplerConfig(1f, 0, 1f, 2f, 1f, 64, 0)).hasMessageContaining("min-p");
        assertThatThrownBy(() -> new SamplerConfig(1f, 0, 1f, 0f, 0f, 64, 0)).hasMessageContaining("penalty");
    }

    @Test
    void largeVocabularyTopKSelectsTheRightSet() {
        float[] logits = new float[128_256];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) Math.sin(i * 0.37);
        logits[777] = 10f;
        logits[12345] = 9.5f;
        Sampler s = new Sampler(new SamplerConfig(0.01f, 2, 1f, 0f, 1f, 64, 1));
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) seen.add(s.sample(logits.clone(), NONE, 0));
        assertThat(seen).containsOnly(777);
        Sampler hot = new Sampler(new SamplerConfig(100f, 2, 1f, 0f, 1f, 64, 1));
        for (int i = 0; i < 200; i++) seen.add(hot.sample(logits.clone(), NONE, 0));
        assertThat(seen).containsExactlyInAnyOrder(777, 12345);
    }

    private static double share0(SamplerConfig c, float[] logits) {
        Sampler s = new Sampler(c);
        int zero = 0, n = 4000;
        for (int i = 0; i < n; i++) if (s.sample(logits.clone(), NONE, 0) == 0) zero++;
        return (double) zero / n;
    }

    private static int[] draws(Sampler s, float[] logits) {
        int[] out = new int[40];
        for (int i = 0; i < out.length; i++) out[i] = s.sample(logits.clone(), NONE, 0);
        return out;
    }

    /**
     * Without top-k, top-p and min-p sort only the tokens they could keep: the draws must be the ones a
     * sort of the whole vocabulary gives. The reference here is the same chain written out plainly.
     */
    @Test
    void topPAndMinPWithoutTopKDrawExactlyWhatAFullSortDraws() {
        java.util.SplittableRandom data = new java.util.SplittableRandom(3);
        float[] logits = new float[128_256];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) (data.nextGaussian() * 3);
        for (float[] pm : new float[][]{{0.95f, 0f}, {0.5f, 0f}, {1f, 0.05f}, {0.9f, 0.1f}, {0.999f, 0f}}) {
            SamplerConfig c = new SamplerConfig(0.8f, 0, pm[0], pm[1], 1f, 64, 42);
            Sampler fast = new Sampler(c);
            java.util.SplittableRandom rng = new java.util.SplittableRandom(42);
            for (int draw = 0; draw < 20; draw++) {
                assertThat(fast.sample(logits.clone(), NONE, 0)).as("top-p %s min-p %s draw %d", pm[0], pm[1], draw)
                        .isEqualTo(reference(logits, c, rng.nextDouble()));
            }
        }
    }

    /** llama.cpp's chain with a full sort: top-p, min-p (at temperature 1), temperature, one draw r. */
    private static int reference(float[] logits, SamplerConfig c, double r) {
        Integer[] ids = new Integer[logits.length];
        for (int i = 0; i < ids.length; i++) ids[i] = i;
        java.util.Arrays.sort(ids, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : Integer.compare(a, b));
        float max = logits[ids[0]];
        double z = 0;
        for (float l : logits) z += (float) Math.exp(l - max);
        int keep = ids.length;
        double cum = 0;
        float[] p = new float[ids.length];
        for (int i = 0; i < ids.length; i++) p[i] = (float) ((float) Math.exp(logits[ids[i]] - max) / z);
        if (c.topP() < 1f) {
            for (int i = 0; i < ids.length; i++) {
                cum += p[i];
                if (cum >= c.topP()) {
                    keep = i + 1;
                    break;
                }
            }
        }
        if (c.minP() > 0f) {
            int i = 1;
            while (i < keep && p[i] >= p[0] * c.minP()) i++;
            keep = i;
        }
        double sum = 0;
        float[] q = new float[keep];
        for (int i = 0; i < keep; i++) {
            q[i] = (float) Math.exp((logits[ids[i]] - max) / c.temperature());
            sum += q[i];
        }
        double acc = 0;
        for (int i = 0; i < keep; i++) {
            acc += (float) (q[i] / sum);
            if (r < acc) return ids[i];
        }
        return ids[keep - 1];
    }
}
