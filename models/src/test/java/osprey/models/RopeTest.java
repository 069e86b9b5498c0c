package osprey.models;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import osprey.engine.ThreadPool;
import osprey.models.gguf.GgufFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * RoPE layouts: which one each architecture uses, as llama.cpp decides (llama: NORMAL, adjacent pairs;
 * qwen2: NEOX, half split). The numerical check of both layouts against llama.cpp is in
 * ReferenceLogitsTest (stories260K and synth-llama: NORMAL; synth-qwen2: NEOX).
 */
class RopeTest {
    private static ThreadPool pool;

    @BeforeAll
    static void start() {
        pool = new ThreadPool(1);
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    @Test
    void llamaUsesAdjacentPairsAndQwen2UsesHalfSplit() {
        try (GgufFile llama = GgufFile.open(SharedData.stories260K());
             GgufFile qwen = GgufFile.open(SharedData.require("reference/synth-qwen2-F32.gguf"))) {
            assertThat(ModelConfig.from(llama, 512).ropeNeox()).isFalse();
            assertThat(ModelConfig.from(qwen, 512).ropeNeox()).isTrue();
        }
    }
}
