package osprey.models;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import osprey.engine.ThreadPool;
import osprey.tokenizer.StreamingDecoder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Greedy decoding from BOS reproduces llama2.c's reference story, ids and bytes, from GGUF v3 and v1. */
class GreedyStoriesTest {
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
    @ValueSource(strings = {"stories260K.gguf", "tinyllamas-stories-260k-f32.gguf"})
    void greedyFromBosMatchesLlama2c(String file) throws IOException {
        Path model = SharedData.require("models/stories260K/" + file);
        int[] expectedIds = Reference.readIds(SharedData.require("models/stories260K/expected-greedy-200.ids"));
        byte[] expectedText = Files.readAllBytes(SharedData.require("models/stories260K/expected-greedy-200.txt"));
        try (Model m = Model.load(model, pool)) {
            int bos = m.tokenizer().vocabulary().bosId();
            assertThat(expectedIds[0]).isEqualTo(bos);
            int[] generated = ReferenceLogitsTest.greedy(m, new int[]{bos}, 200);
            int[] all = new int[201];
            all[0] = bos;
            System.arraycopy(generated, 0, all, 1, 200);
            assertThat(all).containsExactly(expectedIds);

            StreamingDecoder decoder = new StreamingDecoder(m.tokenizer());
            StringBuilder text = new StringBuilder();
            for (int id : all) text.append(decoder.accept(id));
            text.append(decoder.flush());
            assertThat(text.toString()).isEqualTo(new String(expectedText, java.nio.charset.StandardCharsets.UTF_8));
        }
    }
}
