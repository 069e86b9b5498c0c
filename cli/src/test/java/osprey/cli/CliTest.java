package osprey.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code osprey} command line, run in-process with captured stdout and stderr. */
class CliTest {
    @TempDir
    Path dir;

    record Outcome(int code, String out, String err) {}

    static Outcome osprey(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Osprey.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Outcome(code, out.toString(), err.toString());
    }

    static Path shared(String relative) {
        String root = System.getProperty("osprey.shared", "../shared");
        Path p = Path.of(root).resolve(relative).toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.exists(p), "test data missing, test skipped: " + p);
        return p;
    }

    @Test
    void runGreedyFromBosPrintsExactlyTheReferenceStory() throws IOException {
        Path model = shared("models/stories260K/stories260K.gguf");
        String expected = Files.readString(shared("models/stories260K/expected-greedy-200.txt"), StandardCharsets.UTF_8);
        Outcome o = osprey("run", "-m", model.toString(), "--temp", "0", "-n", "200");
        assertThat(o.code()).isZero();
        assertThat(o.out()).isEqualTo(expected);
        assertThat(o.err()).contains("generated 200 tokens").contains("tok/s");
    }

    @Test
    void runWithoutModelUsesTheEmbeddedDefault() {
        Outcome o = osprey("run", "-p", "Once upon a time", "--temp", "0", "-n", "40");
        assertThat(o.code()).isZero();
        // Greedy stories260K continues the prompt (stdout holds only the continuation, not the prompt).
        assertThat(o.out()).startsWith(", there was").doesNotContain("Once upon a time");
        assertThat(o.err()).contains("prompt 5 tokens").contains("generated 40 tokens");
    }

    @Test
    void sameSeedSameTextAndTheSeedIsReported() {
        Outcome a = osprey("run", "-p", "The cat", "--seed", "7", "-n", "30", "--temp", "1.0");
        Outcome b = osprey("run", "-p", "The cat", "--seed", "7", "-n", "30", "--temp", "1.0");
        assertThat(a.code()).isZero();
        assertThat(a.out()).isEqualTo(b.out()).isNotEmpty();
        assertThat(a.err()).contains("seed 7");
    }

    @Test
    void runsTheF16Llama2TinyRandomModelWith32kVocabulary() {
        Path model = shared("models/ollama-tiny-random/llama-2-tiny-random.gguf");
        Outcome o = osprey("run", "-m", model.toString(), "-p", "Hello", "-n", "16", "--seed", "1");
        assertThat(o.code()).isZero();
        assertThat(o.err()).contains("generated");
    }

    @Test
    void tokenizePrintsIdsWithBosOnlyWhenAsked() {
        Path vocab = shared("models/llama.cpp-vocab/ggml-vocab-llama-spm.gguf");
        assertThat(osprey("tokenize", "-m", vocab.toString(), "Hello world").out().trim()).isEqualTo("15043 3186");
        assertThat(osprey("tokenize", "-m", vocab.toString(), "--bos", "Hello world").out().trim()).isEqualTo("1 15043 3186");
    }

    @Test
    void logitsWritesEveryPositionAsLittleEndianFloat32() throws IOException {
        Path model = shared("models/stories260K/stories260K.gguf");
        Path ref = shared("reference/stories260K.A.logits.f32");
        String ids = Files.readString(shared("reference/stories260K.A.ids")).trim();
        Path out = dir.resolve("a.f32");
        Outcome o = osprey("logits", "-m", model.toString(), "--ids", ids, "--out", out.toString());
        assertThat(o.code()).as(o.err()).isZero();
        float[] mine = floats(out), theirs = floats(ref);
        assertThat(mine).hasSize(64 * 512);
        double max = 0;
        for (int i = 0; i < mine.length; i++) max = Math.max(max, Math.abs(mine[i] - theirs[i]));
        assertThat(max).as("max abs difference to llama.cpp (F32 model; logit std is 8.2)").isLessThan(1e-4);
    }

    @Test
    void inspectDescribesTheModelInTextAndJson() {
        Path model = shared("models/stories260K/stories260K.gguf");
        Outcome text = osprey("inspect", model.toString());
        assertThat(text.code()).isZero();
        assertThat(text.out()).contains("architecture:  llama").contains("embedding_length").contains("F32").contains("vocab_size");
        Outcome json = osprey("inspect", "--json", model.toString());
        assertThat(json.out()).contains("\"architecture\": \"llama\"").contains("\"tensor_count\": 48")
                .contains("\"F32\": 48").contains("\"vocab_size\": 512");
    }

    @Test
    void inspectWorksOnVocabOnlyFiles() {
        Path vocab = shared("models/llama.cpp-vocab/ggml-vocab-phi-3.gguf");
        Outcome o = osprey("inspect", "--json", vocab.toString());
        assertThat(o.code()).isZero();
        assertThat(o.out()).contains("\"tensor_count\": 0").contains("\"vocab_size\": 32064");
    }

    @Test
    void errorsAreOneLineWithoutStackTraceUnlessVerbose() {
        Outcome o = osprey("run", "-m", dir.resolve("missing.gguf").toString());
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err().strip()).startsWith("osprey: error:").contains("missing.gguf").contains("no such file");
        assertThat(o.err().strip().lines()).hasSize(1);
        Outcome v = osprey("run", "--verbose", "-m", dir.resolve("missing.gguf").toString());
        assertThat(v.err()).contains("at osprey.");
    }

    @Test
    void aNonGgufFileIsRefusedClearly() throws IOException {
        Path junk = dir.resolve("junk.gguf");
        Files.writeString(junk, "this is not a model");
        Outcome o = osprey("inspect", junk.toString());
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err()).contains("bad magic").contains("junk.gguf");
    }

    @Test
    void aPromptLongerThanTheContextIsAClearError() {
        Outcome o = osprey("run", "-p", "Once upon a time there was a dog", "-c", "4", "-n", "5");
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err()).contains("context_length_exceeded").contains("context holds 4");
    }

    @Test
    void badOptionsGiveUsageHelp() {
        Outcome o = osprey("run", "--top-p", "2");
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err()).contains("top-p").contains("Try 'osprey run --help'");
        assertThat(osprey("run", "-c", "-5").code()).isEqualTo(2);
        assertThat(osprey("bench", "-r", "0").code()).isEqualTo(2);
        Outcome u = osprey("run", "--no-such-option");
        assertThat(u.code()).isEqualTo(2);
        assertThat(u.err()).contains("Unknown option");
    }

    private static float[] floats(Path p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }

    @Test
    void logitsRejectsIdsOutsideTheVocabulary() {
        Outcome o = osprey("logits", "--ids", "1 99999", "--out", dir.resolve("x.f32").toString());
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err()).contains("token id 99999");
        assertThat(Arrays.asList(dir.toFile().list())).doesNotContain("x.f32");
    }

    @Test
    void synthWritesAModelThatBenchAndRunUse() throws IOException {
        Path vocab = shared("models/llama.cpp-vocab/ggml-vocab-llama-spm.gguf");
        Path model = dir.resolve("custom-q8.gguf");
        Outcome s = osprey("synth", "custom", "--dim", "256", "--layers", "2", "--heads", "4", "--kv-heads", "2",
                "--ffn", "512", "--type", "Q8_0", "--vocab", vocab.toString(), "-o", model.toString());
        assertThat(s.code()).as(s.err()).isZero();
        assertThat(s.err()).contains("wrote").contains(model.getFileName().toString());
        assertThat(osprey("inspect", "--json", model.toString()).out()).contains("\"Q8_0\": 15").contains("\"vocab_size\": 32000");

        Outcome b = osprey("bench", "-m", model.toString(), "-p", "16", "-n", "4", "-r", "2", "-t", "2", "--no-bandwidth");
        assertThat(b.code()).as(b.err()).isZero();
        assertThat(b.out()).contains("| model |").contains("pp16").contains("tg4").contains("Q8_0");
        assertThat(b.err()).contains("pp16 warm-up 1").contains("tg4 run 2/2");
        Outcome j = osprey("bench", "-m", model.toString(), "-p", "8", "-n", "2", "-r", "1", "--json", "--no-bandwidth");
        assertThat(j.out()).contains("\"pp8\"").contains("\"avg_ts\"").contains("\"weight_bytes_per_token\"");

        Outcome r = osprey("run", "-m", model.toString(), "-p", "Hello", "-n", "5", "--seed", "1");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("generated 5 tokens");
    }

    @Test
    void synthRefusesUnknownShapesAndTypes() {
        assertThat(osprey("synth", "gpt5", "--type", "Q8_0", "--vocab", "x", "-o", "y").err()).contains("unknown shape 'gpt5'");
        assertThat(osprey("synth", "custom", "--dim", "96", "--layers", "1", "--heads", "32", "--ffn", "64", "--type", "F32",
                "--vocab", "x", "-o", "y").err()).contains("even quotient");
        assertThat(osprey("synth", "tinyllama", "--type", "Q9", "--vocab", "x", "-o", "y").err()).contains("--type Q9 is not a tensor type");
    }
}
