package osprey.models;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import osprey.engine.GgmlType;
import osprey.engine.KvCache;
import osprey.engine.ThreadPool;
import osprey.models.gguf.GgufFile;
import osprey.models.gguf.TensorInfo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Synthetic models: written to the GGUF spec, loadable, runnable, and the same for the same seed. */
class SynthTest {
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

    private static Synth.Shape small(String arch, boolean tied) {
        return new Synth.Shape("small", arch, 256, 2, 4, 2, 512, 0, tied, 10000f, 1e-5f, 512, arch.equals("qwen2"), false);
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void writesAModelOfEveryTypeThatLoadsAndRuns(String typeName) throws IOException {
        GgmlType type = GgmlType.valueOf(typeName);
        Path vocab = SharedData.require("models/llama.cpp-vocab/ggml-vocab-llama-spm.gguf");
        Path out = dir.resolve("m-" + typeName + ".gguf");
        try (GgufFile v = GgufFile.open(vocab)) {
            Synth.write(small("llama", false), type, v, 7, out, pool, s -> { });
        }
        try (GgufFile f = GgufFile.open(out); Model m = Model.load(out, pool)) {
            assertThat(f.getString("general.architecture")).isEqualTo("llama");
            assertThat(f.getArray("tokenizer.ggml.tokens", String[].class)).hasSize(32000);
            assertThat(f.arrayElementType("tokenizer.ggml.scores")).isNotNull();
            assertThat(f.tensors().get("blk.0.attn_q.weight").type()).isEqualTo(type);
            assertThat(f.tensors().get("blk.1.ffn_down.weight").type()).isEqualTo(type);
            assertThat(f.tensors().get("blk.0.attn_norm.weight").type()).isEqualTo(GgmlType.F32);
            assertThat(m.config().vocabSize()).isEqualTo(32000);
            // The tokenizer came along: the model tokenizes and generates.
            assertThat(m.tokenizer().encode("Hello world", false, false)).containsExactly(15043, 3186);
            float[] logits = new float[32000];
            KvCache cache = m.newKvCache(8);
            m.transformer().forward(new int[]{1, 15043, 3186}, new int[]{0, 1, 2}, 3, cache, false, logits);
            for (float x : logits) assertThat(Float.isFinite(x)).isTrue();
        }
    }

    @Test
    void qwen2ShapeWithBiasesAndTiedOutputRuns() throws IOException {
        Path vocab = SharedData.require("models/llama.cpp-vocab/ggml-vocab-phi-3.gguf");
        Path out = dir.resolve("qwen.gguf");
        try (GgufFile v = GgufFile.open(vocab)) {
            Synth.write(small("qwen2", true), GgmlType.Q8_0, v, 7, out, pool, s -> { });
        }
        try (GgufFile f = GgufFile.open(out); Model m = Model.load(out, pool)) {
            assertThat(f.tensors()).containsKey("blk.0.attn_q.bias").doesNotContainKey("output.weight");
            assertThat(m.config().ropeNeox()).isTrue();
            float[] logits = new float[m.config().vocabSize()];
            m.transformer().forward(new int[]{1, 2, 3}, new int[]{0, 1, 2}, 3, m.newKvCache(4), false, logits);
            for (float x : logits) assertThat(Float.isFinite(x)).isTrue();
        }
    }

    @Test
    void sameSeedSameFileDifferentSeedDifferentWeights() throws IOException {
        Path vocab = SharedData.require("models/llama.cpp-vocab/ggml-vocab-llama-spm.gguf");
        Path a = dir.resolve("a.gguf"), b = dir.resolve("b.gguf"), c = dir.resolve("c.gguf");
        try (GgufFile v = GgufFile.open(vocab)) {
            Synth.write(small("llama", true), GgmlType.Q4_0, v, 1, a, pool, s -> { });
            Synth.write(small("llama", true), GgmlType.Q4_0, v, 1, b, pool, s -> { });
            Synth.write(small("llama", true), GgmlType.Q4_0, v, 2, c, pool, s -> { });
        }
        assertThat(java.nio.file.Files.mismatch(a, b)).isEqualTo(-1);
        assertThat(java.nio.file.Files.mismatch(a, c)).isNotEqualTo(-1);
    }

    @Test
    void weightsHaveTheScaleOfATrainedLayer() throws IOException {
        Path vocab = SharedData.require("models/llama.cpp-vocab/ggml-vocab-llama-spm.gguf");
        Path out = dir.resolve("f32.gguf");
        try (GgufFile v = GgufFile.open(vocab)) {
            Synth.write(small("llama", false), GgmlType.F32, v, 3, out, pool, s -> { });
        }
        try (GgufFile f = GgufFile.open(out)) {
            TensorInfo t = f.tensors().get("blk.0.ffn_down.weight");
            float[] w = new float[(int) t.elements()];
            f.tensor(t.name()).dequantize(0, w, 0, w.length);
            double ss = 0;
            for (float x : w) ss += x * x;
            double std = Math.sqrt(ss / w.length);
            assertThat(std).isCloseTo(1 / Math.sqrt(512), org.assertj.core.data.Offset.offset(0.002));
        }
    }

    @Test
    void namedShapesHaveTheRealModelsParameterCounts() {
        assertThat(Synth.SHAPES.get("llama3.2-1b").parameters()).isBetween(1_235_000_000L, 1_236_500_000L);
        assertThat(Synth.SHAPES.get("tinyllama").parameters()).isBetween(1_099_000_000L, 1_101_000_000L);
        assertThat(Synth.SHAPES.get("qwen2.5-0.5b").parameters()).isBetween(493_000_000L, 495_000_000L);
    }

    @Test
    void kQuantsFallBackToQ8_0OnRowsTheirBlocksDoNotTile() {
        assertThat(Synth.typeFor(GgmlType.Q4_K, 896)).isEqualTo(GgmlType.Q8_0);
        assertThat(Synth.typeFor(GgmlType.Q4_K, 2048)).isEqualTo(GgmlType.Q4_K);
        assertThatThrownBy(() -> Synth.fileType(GgmlType.IQ2_XS)).hasMessageContaining("cannot write IQ2_XS");
    }
}
