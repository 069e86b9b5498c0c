package osprey.models;

/**
 * How the next token is chosen. {@code temperature <= 0} is greedy (argmax, lowest id on ties).
 * Otherwise the chain is llama.cpp's default order: repetition penalty, top-k, top-p, min-p, temperature,
 * then a draw from the distribution with a seeded generator (same seed, same output).
 *
 * @param temperature       softmax temperature; 0 = greedy
 * @param topK              keep the k most likely tokens; 0 = all
 * @param topP              keep the smallest set whose probability reaches p; 1 = all
 * @param minP              drop tokens less likely than minP x the most likely one; 0 = off
 * @param repeatPenalty     divide positive (multiply negative) logits of recent tokens; 1 = off
 * @param repeatLastN       how many recent tokens the penalty looks at
 * @param seed              seed of the random generator
 */
public record SamplerConfig(float temperature, int topK, float topP, float minP, float repeatPenalty,
                            int repeatLastN, long seed) {

    public SamplerConfig {
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("min-p must be in [0, 1], got " + minP);
        if (!(repeatPenalty > 0)) throw new IllegalArgumentException("repeat penalty must be > 0, got " + repeatPenalty);
        if (repeatLastN < 0) throw new IllegalArgumentException("repeat-last-n must be >= 0, got " + repeatLastN);
        if (Float.isNaN(temperature)) throw new IllegalArgumentException("temperature is NaN");
    }

    public static SamplerConfig greedy() {
        return new SamplerConfig(0f, 0, 1f, 0f, 1f, 64, 0);
    }

    /** llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no repetition penalty. */
    public static SamplerConfig defaults(long seed) {
        return new SamplerConfig(0.8f, 40, 0.95f, 0.05f, 1f, 64, seed);
    }
}
