package osprey.kernel;

import osprey.engine.KvCache;
import osprey.models.Model;
import osprey.models.Sampler;
import osprey.models.SamplerConfig;
import osprey.models.Transformer;
import osprey.tokenizer.StreamingDecoder;

import java.util.function.Consumer;

/**
 * One text generation from start to end, for one sequence: tokenize the prompt, read it in one batch
 * (prefill), then decode one token per forward pass, sampling each, until EOS, the token limit or the end
 * of the context. Text is handed out piece by piece as soon as it forms whole UTF-8 characters.
 *
 * <p>This is the single-sequence path that {@code osprey run} uses; the kernel's scheduler will run many
 * of these in one batch.
 */
public final class Generation {

    /** Why generation ended: an end-of-generation token, the token limit, or a full context. */
    public enum Stop { EOS, LENGTH, CONTEXT }

    /**
     * @param promptTokens tokens read (BOS included)
     * @param generated    tokens produced (the EOS that ended it is not included)
     */
    public record Result(int[] promptTokens, int[] generated, Stop stop, long prefillNanos, long decodeNanos) {
        public double prefillTokensPerSecond() {
            return prefillNanos == 0 ? 0 : promptTokens.length * 1e9 / prefillNanos;
        }

        public double decodeTokensPerSecond() {
            return decodeNanos == 0 ? 0 : generated.length * 1e9 / decodeNanos;
        }
    }

    /** Prompt tokens read per forward pass at most. */
    static final int PREFILL_CHUNK = 512;

    private Generation() {}

    /**
     * @param prompt        text to continue; empty means BOS alone
     * @param maxTokens     tokens to generate at most; negative means until EOS or the context is full
     * @param contextLength positions of the KV cache; <= 0 means the model's training context
     * @param out           receives generated text pieces, in order
     */
    public static Result run(Model model, String prompt, int maxTokens, SamplerConfig samplerConfig,
                             int contextLength, Consumer<String> out) {
        return run(model, prompt, maxTokens, samplerConfig, contextLength, new int[]{model.tokenizer().vocabulary().eosId()}, out);
    }

    /** As above, stopping at any of {@code stopTokens} (which are not emitted) instead of EOS alone. */
    public static Result run(Model model, String prompt, int maxTokens, SamplerConfig samplerConfig,
                             int contextLength, int[] stopTokens, Consumer<String> out) {
        var tokenizer = model.tokenizer();
        // BOS first when the vocabulary asks for it (add_bos_token), as llama.cpp does; an empty prompt is BOS alone.
        int[] prompted = tokenizer.encode(prompt, tokenizer.vocabulary().addBos(), true);
        if (prompted.length == 0) prompted = new int[]{tokenizer.vocabulary().bosId()};
        KvCache cache = model.newKvCache(contextLength);
        int ctx = cache.capacity();
        if (prompted.length >= ctx) {
            throw new ContextOverflowException("context_length_exceeded: the prompt is " + prompted.length
                    + " tokens, the context holds " + ctx + " (use a larger --ctx-size or a shorter prompt)");
        }

        Transformer transformer = model.transformer();
        int vocab = model.config().vocabSize();
        float[] logits = new float[vocab];
        int limit = maxTokens < 0 ? Integer.MAX_VALUE : maxTokens;
        int[] history = new int[ctx]; // every token read or generated, for the repetition penalty
        System.arraycopy(prompted, 0, history, 0, prompted.length);
        int length = prompted.length;

        StreamingDecoder decoder = new StreamingDecoder(tokenizer);
        for (int t : prompted) decoder.accept(t); // the prompt is not echoed, but its last token shapes the next piece

        // Prefill in batches of at most PREFILL_CHUNK tokens: one batch reads the weights once for all its
        // tokens, and the cap keeps the scratch memory bounded for long prompts.
        long t0 = System.nanoTime();
        for (int start = 0; start < length; start += PREFILL_CHUNK) {
            int n = Math.min(PREFILL_CHUNK, length - start);
            int[] chunk = java.util.Arrays.copyOfRange(prompted, start, start + n);
            int[] positions = new int[n];
            for (int i = 0; i < n; i++) positions[i] = start + i;
            transformer.forward(chunk, positions, n, cache, false, logits);
        }
        long t1 = System.nanoTime();

        Sampler sampler = new Sampler(samplerConfig);
        int[] one = new int[1], pos = new int[1];
        Stop stop = Stop.LENGTH;
        int generated = 0;
        while (generated < limit) {
            int next = sampler.sample(logits, history, length);
            if (contains(stopTokens, next)) {
                stop = Stop.EOS;
                break;
            }
            history[length++] = next;
            generated++;
            String piece = decoder.accept(next);
            if (!piece.isEmpty()) out.accept(piece);
            if (generated == limit) break;
            if (length >= ctx) {
                stop = Stop.CONTEXT;
                break;
            }
            one[0] = next;
            pos[0] = length - 1;
            transformer.forward(one, pos, 1, cache, false, logits);
        }
        String rest = decoder.flush();
        if (!rest.isEmpty()) out.accept(rest);
        long t2 = System.nanoTime();
        return new Result(prompted, java.util.Arrays.copyOfRange(history, prompted.length, length), stop, t1 - t0, t2 - t1);
    }

    private static boolean contains(int[] ids, int id) {
        for (int x : ids) if (x == id) return true;
        return false;
    }
}
