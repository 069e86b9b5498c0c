package osprey.models;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token from a row of logits (see {@link SamplerConfig} for the chain). Holds the random
 * generator, so one sampler per sequence: two sequences with the same seed produce the same tokens.
 * SplittableRandom's algorithm is specified, so a seed gives the same draws on every JVM.
 */
public final class Sampler {
    private final SamplerConfig cfg;
    private final SplittableRandom random;
    private int[] order = new int[0];     // candidate token ids, sorted by logit descending
    private float[] probs = new float[0]; // probabilities of the candidates, same order

    public Sampler(SamplerConfig cfg) {
        this.cfg = cfg;
        this.random = new SplittableRandom(cfg.seed());
    }

    public SamplerConfig config() {
        return cfg;
    }

    /**
     * Chooses a token. {@code logits} (length vocab) is modified by the repetition penalty.
     * {@code recent} holds the tokens generated or read so far (the last {@code repeatLastN} are penalised).
     */
    public int sample(float[] logits, int[] recent, int recentCount) {
        applyRepetitionPenalty(logits, recent, recentCount);
        if (cfg.temperature() <= 0) return argmax(logits);

        int n = logits.length;
        if (order.length < n) {
            order = new int[n];
            probs = new float[n];
        }
        int keep;
        if (cfg.topK() == 0 && (cfg.topP() < 1f || cfg.minP() > 0f)) {
            // No top-k, but top-p or min-p: only the tokens those can keep need sorting (a full sort of a
            // 128k vocabulary costs ~9 ms a token). Their probabilities use the full normaliser.
            keep = likelyCandidates(logits);
        } else {
            // top-k: keep the k largest (all when k is 0), sorted by logit descending, ties by lower id.
            keep = cfg.topK() > 0 ? Math.min(cfg.topK(), n) : n;
            sortTop(logits, keep);
            // Probabilities at temperature 1, as llama.cpp computes them for top-p and min-p.
            softmax(logits, keep, 1f);
        }
        if (cfg.topP() < 1f) {
            double cum = 0;
            for (int i = 0; i < keep; i++) {
                cum += probs[i];
                if (cum >= cfg.topP()) {
                    keep = i + 1;
                    break;
                }
            }
        }
        if (cfg.minP() > 0f) {
            float threshold = probs[0] * cfg.minP();
            int i = 1;
            while (i < keep && probs[i] >= threshold) i++;
            keep = i;
        }
        softmax(logits, keep, cfg.temperature());
        double r = random.nextDouble();
        double cum = 0;
        for (int i = 0; i < keep; i++) {
            cum += probs[i];
            if (r < cum) return order[i];
        }
        return order[keep - 1]; // r landed in the rounding slack of the last bucket
    }

    /** Buckets of 1/32 nat below the top logit, for finding where top-p's mass is reached without sorting. */
    private static final int BUCKETS = 1024, PER_NAT = 32;

    /**
     * Sorts into {@code order} just the tokens that top-p and min-p could keep, and sets their
     * temperature-1 probabilities (normalised over the whole vocabulary, exactly as after a full sort);
     * returns how many. One pass buckets every token by how far its logit is below the top one and adds
     * up each bucket's probability mass; the candidates are the buckets down to where the mass reaches
     * top-p, and no further than min-p's cut-off (min-p runs after top-p and always removes what lies
     * beyond it), plus one bucket for rounding. Sorting them gives the same ranking, so
     * the same result, as sorting everything.
     */
    private int likelyCandidates(float[] logits) {
        int n = logits.length;
        float max = logits[argmax(logits)];
        double[] mass = new double[BUCKETS];
        double z = 0;
        for (float l : logits) {
            float e = (float) Math.exp(l - max);
            z += e;
            mass[bucket(max, l)] += e;
        }
        int last = BUCKETS - 1;
        if (cfg.topP() < 1f) {
            double cum = 0;
            for (int b = 0; b < BUCKETS; b++) {
                cum += mass[b];
                if (cum >= cfg.topP() * z) {
                    last = b;
                    break;
                }
            }
        }
        if (cfg.minP() > 0f) { // min-p (applied after top-p) keeps only logits >= max + ln(minP)
            last = (int) Math.min(last, Math.floor(-Math.log(cfg.minP()) * PER_NAT));
        }
        last = Math.min(BUCKETS - 1, last + 1);
        int count = 0;
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            if (bucket(max, logits[i]) <= last) keys[count++] = rankKey(logits[i], i);
        }
        Arrays.sort(keys, 0, count);
        for (int i = 0; i < count; i++) {
            order[i] = (int) keys[i];
            probs[i] = (float) ((float) Math.exp(logits[order[i]] - max) / z);
        }
        return count;
    }

    private static int bucket(float max, float logit) {
        double below = (max - logit) * (double) PER_NAT;
        return below >= BUCKETS - 1 || Double.isNaN(below) ? BUCKETS - 1 : (int) below;
    }

    /** Index of the largest logit; the lowest id wins a tie, as in llama.cpp. */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    private void applyRepetitionPenalty(float[] logits, int[] recent, int recentCount) {
        if (cfg.repeatPenalty() == 1f || cfg.repeatLastN() == 0 || recentCount == 0) return;
        int from = Math.max(0, recentCount - cfg.repeatLastN());
        int[] seen = Arrays.copyOfRange(recent, from, recentCount);
        Arrays.sort(seen);
        for (int i = 0; i < seen.length; i++) {
            if (i > 0 && seen[i] == seen[i - 1]) continue; // penalise each token once
            int id = seen[i];
            if (id < 0 || id >= logits.length) continue;
            logits[id] = logits[id] > 0 ? logits[id] / cfg.repeatPenalty() : logits[id] * cfg.repeatPenalty();
        }
    }

    /** Fills order[0..keep) with the ids of the keep largest logits, sorted descending (ties: lower id first). */
    private void sortTop(float[] logits, int keep) {
        int n = logits.length;
        if (keep == n) {
            long[] all = new long[n];
            for (int i = 0; i < n; i++) all[i] = rankKey(logits[i], i);
            Arrays.sort(all);
            for (int i = 0; i < keep; i++) order[i] = (int) all[i];
            return;
        }
        // Keep the best `keep` keys in a max-heap of rank keys (smaller key = better token): O(n log k).
        long[] heap = new long[keep];
        int size = 0;
        for (int i = 0; i < n; i++) {
            long key = rankKey(logits[i], i);
            if (size < keep) {
                heap[size] = key;
                siftUp(heap, size++);
            } else if (key < heap[0]) {
                heap[0] = key;
                siftDown(heap, keep);
            }
        }
        Arrays.sort(heap);
        for (int i = 0; i < keep; i++) order[i] = (int) heap[i];
    }

    /** A long that sorts ascending by logit descending, then by id ascending. */
    private static long rankKey(float logit, int id) {
        int bits = Float.floatToIntBits(logit);
        int sortable = bits >= 0 ? bits : bits ^ 0x7fffffff; // monotone in the float's value, as a signed int
        return ((long) ~sortable << 32) | id;
    }

    private static void siftUp(long[] h, int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (h[parent] >= h[i]) return;
            long tmp = h[parent]; h[parent] = h[i]; h[i] = tmp;
            i = parent;
        }
    }

    private static void siftDown(long[] h, int size) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1, r = l + 1, big = i;
            if (l < size && h[l] > h[big]) big = l;
            if (r < size && h[r] > h[big]) big = r;
            if (big == i) return;
            long tmp = h[big]; h[big] = h[i]; h[i] = tmp;
            i = big;
        }
    }

    /** probs[0..keep) = softmax(logits[order[i]] / temperature). */
    private void softmax(float[] logits, int keep, float temperature) {
        float max = logits[order[0]];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            float p = (float) Math.exp((logits[order[i]] - max) / temperature);
            probs[i] = p;
            sum += p;
        }
        for (int i = 0; i < keep; i++) probs[i] = (float) (probs[i] / sum);
    }
}
