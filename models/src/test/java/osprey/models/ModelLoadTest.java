package osprey.models;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import osprey.engine.ThreadPool;
import osprey.models.gguf.GgufFile;
import osprey.models.gguf.GgufFormatException;
import osprey.models.gguf.GgufValueType;
import osprey.models.gguf.GgufWriter;
import osprey.models.gguf.TensorInfo;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Loading a model checks the file against its own hyperparameters and says what is wrong. */
class ModelLoadTest {
    @TempDir
    Path dir;

    private static ThreadPool pool;

    @BeforeAll
    static void start() {
        pool = new ThreadPool(2);
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    /** Re-writes stories260K with GgufWriter, letting {@code edit} change one tensor's shape or drop it (null). */
    private Path rewrite(String metadataOverrideKey, Object metadataOverride, String tensor, UnaryOperator<long[]> newShape) throws IOException {
        Path out = dir.resolve("rewritten-" + System.nanoTime() + ".gguf");
        try (GgufFile in = GgufFile.open(SharedData.stories260K())) {
            GgufWriter w = new GgufWriter();
            for (var e : in.metadata().entrySet()) {
                Object v = e.getKey().equals(metadataOverrideKey) ? metadataOverride : e.getValue();
                GgufValueType type = in.metadataType(e.getKey());
                if (type == GgufValueType.ARRAY) w.putArray(e.getKey(), elementType(v), v);
                else w.put(e.getKey(), type, v);
            }
            for (TensorInfo t : in.tensors().values()) {
                long[] shape = t.shape();
                if (t.name().equals(tensor)) {
                    shape = newShape.apply(shape);
                    if (shape == null) continue;
                }
                long n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
                byte[] data = in.tensorData(t).asSlice(0, t.type().bytesFor(n)).toArray(ValueLayout.JAVA_BYTE);
                w.addTensor(t.name(), t.type(), shape, data);
            }
            w.write(out);
        }
        return out;
    }

    private static GgufValueType elementType(Object array) {
        return switch (array) {
            case String[] s -> GgufValueType.STRING;
            case float[] f -> GgufValueType.FLOAT32;
            case int[] i -> GgufValueType.INT32;
            default -> throw new IllegalArgumentException(array.getClass().toString());
        };
    }

    @Test
    void aFileRewrittenByGgufWriterRunsIdentically() throws IOException {
        Path copy = rewrite(null, null, null, s -> s);
        int[] expected = Reference.readIds(SharedData.require("models/stories260K/expected-greedy-200.ids"));
        try (Model m = Model.load(copy, pool)) {
            int[] greedy = ReferenceLogitsTest.greedy(m, new int[]{1}, 50);
            assertThat(greedy).containsExactly(Arrays.copyOfRange(expected, 1, 51));
        }
    }

    @Test
    void aTensorWhoseShapeDisagreesWithTheHyperparametersIsNamed() throws IOException {
        Path bad = rewrite(null, null, "blk.0.attn_q.weight", s -> new long[]{64, 32});
        assertThatThrownBy(() -> Model.load(bad, pool))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("tensor 'blk.0.attn_q.weight' has shape [64, 32], expected [64, 64]");
    }

    @Test
    void aMissingTensorIsNamed() throws IOException {
        Path bad = rewrite(null, null, "blk.4.ffn_up.weight", s -> null);
        assertThatThrownBy(() -> Model.load(bad, pool))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("tensor 'blk.4.ffn_up.weight' is missing");
    }

    @Test
    void anUnsupportedArchitectureListsTheSupportedOnes() throws IOException {
        Path bad = rewrite("general.architecture", "mamba", null, s -> s);
        assertThatThrownBy(() -> Model.load(bad, pool))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("unsupported architecture 'mamba' (supported: llama, qwen2)");
    }

    @Test
    void aVocabOnlyFileIsNotAModel() {
        Path vocab = SharedData.require("models/llama.cpp-vocab/ggml-vocab-llama-spm.gguf");
        assertThatThrownBy(() -> Model.load(vocab, pool))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("token_embd.weight").hasMessageContaining("vocab-only");
    }

    @Test
    void aTensorTypeWithoutKernelsIsNamed() {
        Path kquant = SharedData.require("reference/synth-llama-Q5_K_M.gguf");
        assertThatThrownBy(() -> Model.load(kquant, pool))
                .isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("Q5_K").hasMessageContaining("cannot compute with yet");
    }

    @Test
    void theEmbeddedDefaultModelIsStories260K() {
        try (Model m = Model.load(null, pool)) {
            assertThat(m.config().dim()).isEqualTo(64);
            assertThat(m.config().nLayers()).isEqualTo(5);
            assertThat(m.config().vocabSize()).isEqualTo(512);
            assertThat(ReferenceLogitsTest.greedy(m, new int[]{1}, 5)).containsExactly(403, 407, 261, 378, 432);
        }
    }

    @Test
    void ropeScalingThatIsNotImplementedIsRefusedNotIgnored() throws IOException {
        Path f = dir.resolve("scaled.gguf");
        new GgufWriter().putString("general.architecture", "llama")
                .putU32("llama.embedding_length", 64).putU32("llama.block_count", 1).putU32("llama.attention.head_count", 8)
                .putU32("llama.feed_forward_length", 128).putString("llama.rope.scaling.type", "yarn")
                .write(f);
        try (GgufFile g = GgufFile.open(f)) {
            assertThatThrownBy(() -> ModelConfig.from(g, 512))
                    .isInstanceOf(GgufFormatException.class)
                    .hasMessageContaining("rope.scaling.type is 'yarn'");
        }
    }

    @Test
    void aKvCacheLargerThanMemoryIsRefusedWithTheSizes() {
        try (Model m = Model.load(null, pool)) {
            assertThatThrownBy(() -> m.newKvCache(Integer.MAX_VALUE / 64))
                    .hasMessageContaining("KV cache").hasMessageContaining("GiB").hasMessageContaining("smaller context");
        }
    }
}
