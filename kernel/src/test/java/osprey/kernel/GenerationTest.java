package osprey.kernel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import osprey.engine.ThreadPool;
import osprey.models.Model;
import osprey.models.SamplerConfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One generation on the embedded stories260K model: prompt handling, stop conditions, streaming. */
class GenerationTest {
    private static ThreadPool pool;
    private static Model model;

    @BeforeAll
    static void load() {
        pool = new ThreadPool(2);
        model = Model.load(null, pool);
    }

    @AfterAll
    static void close() {
        model.close();
        pool.close();
    }

    @Test
    void emptyPromptStartsFromBosAloneAndStreamsTheGreedyStory() {
        StringBuilder text = new StringBuilder();
        Generation.Result r = Generation.run(model, "", 12, SamplerConfig.greedy(), 0, text::append);
        assertThat(r.promptTokens()).containsExactly(1);
        assertThat(r.generated()).containsExactly(403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421);
        assertThat(r.stop()).isEqualTo(Generation.Stop.LENGTH);
        assertThat(text.toString()).isEqualTo("Once upon a time, there was a little girl");
    }

    @Test
    void thePromptIsReadButNotEchoed() {
        StringBuilder text = new StringBuilder();
        Generation.Result r = Generation.run(model, "Once upon a time", 5, SamplerConfig.greedy(), 0, text::append);
        assertThat(r.promptTokens()[0]).isEqualTo(1);
        assertThat(r.promptTokens()).hasSize(5);
        assertThat(text.toString()).startsWith(",").doesNotContain("Once");
        assertThat(r.generated()).hasSize(5);
    }

    @Test
    void stopsWhenTheContextIsFull() {
        Generation.Result r = Generation.run(model, "", -1, SamplerConfig.greedy(), 20, s -> { });
        assertThat(r.stop()).isEqualTo(Generation.Stop.CONTEXT);
        assertThat(r.promptTokens().length + r.generated().length).isEqualTo(20);
    }

    @Test
    void stopsAtAStopTokenWithoutEmittingIt() {
        // stories260K never samples its EOS (llama2.c trained it with BOS between stories), so the stop
        // mechanism is checked with a token the greedy story does produce: 432 (",") is its 5th token.
        StringBuilder text = new StringBuilder();
        Generation.Result r = Generation.run(model, "", 100, SamplerConfig.greedy(), 0, new int[]{2, 432}, text::append);
        assertThat(r.stop()).isEqualTo(Generation.Stop.EOS);
        assertThat(r.generated()).containsExactly(403, 407, 261, 378);
        assertThat(text.toString()).isEqualTo("Once upon a time");
    }

    @Test
    void aPromptThatDoesNotFitIsATypedErrorNotATruncation() {
        assertThatThrownBy(() -> Generation.run(model, "Once upon a time there was", 5, SamplerConfig.greedy(), 4, s -> { }))
                .isInstanceOf(ContextOverflowException.class)
                .hasMessageContaining("context_length_exceeded").hasMessageContaining("context holds 4");
    }

    @Test
    void aPromptLongerThanOnePrefillBatchIsReadInChunks() {
        // About 1000 tokens: two prefill batches. The continuation must be the one a single batch gives.
        String story = "Once upon a time, there was a little girl named Lily. She loved to play outside. ".repeat(50);
        Generation.Result chunked = Generation.run(model, story, 4, SamplerConfig.greedy(), 0, s -> { });
        assertThat(chunked.promptTokens().length).isGreaterThan(Generation.PREFILL_CHUNK);
        int n = chunked.promptTokens().length;
        float[] logits = new float[model.config().vocabSize()];
        int[] positions = new int[n];
        for (int i = 0; i < n; i++) positions[i] = i;
        model.transformer().forward(chunked.promptTokens(), positions, n, model.newKvCache(0), false, logits);
        assertThat(chunked.generated()[0]).isEqualTo(osprey.models.Sampler.argmax(logits));
    }
}
