package osprey.models;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import osprey.models.gguf.GgufFile;
import osprey.models.gguf.GgufFormatException;
import osprey.tokenizer.SentencePieceTokenizer;
import osprey.tokenizer.StreamingDecoder;

/**
 * The tokenizer against llama.cpp's own test vectors ({@code models/ggml-vocab-*.gguf.inp/.out}, the input of
 * {@code test-tokenizer-0}) and against llama2.c's printed output.
 */
class TokenizerVectorsTest {
    private static final String VOCABS = "models/llama.cpp-vocab/";
    private static final String CASE_SEPARATOR = "\n__ggml_vocab_test__\n";

    private static SentencePieceTokenizer load(Path gguf) {
        try (GgufFile file = GgufFile.open(gguf)) {
            return Tokenizers.load(file); // the tokenizer copies what it needs out of the mapping
        }
    }

    /** The .inp cases: each one is followed by the separator, the last one too. */
    private static List<String> readCases(Path inp) throws IOException {
        String all = Files.readString(inp, UTF_8);
        assertThat(all).endsWith(CASE_SEPARATOR);
        List<String> cases = new ArrayList<>();
        int from = 0;
        for (int at; (at = all.indexOf(CASE_SEPARATOR, from)) >= 0; from = at + CASE_SEPARATOR.length()) {
            cases.add(all.substring(from, at));
        }
        return cases;
    }

    /** The .out lines: token ids, each after a space; no BOS; an empty line for an empty encoding. */
    private static List<int[]> readExpected(Path out) throws IOException {
        return Files.readAllLines(out, UTF_8).stream()
                .map(line -> line.isBlank() ? new int[0]
                        : Arrays.stream(line.trim().split(" ")).mapToInt(Integer::parseInt).toArray())
                .toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf"})
    void encodesAllCasesLikeLlamaCpp(String vocab) throws IOException {
        Path gguf = SharedData.require(VOCABS + vocab);
        List<String> cases = readCases(SharedData.require(VOCABS + vocab + ".inp"));
        List<int[]> expected = readExpected(SharedData.require(VOCABS + vocab + ".out"));
        assertThat(cases).hasSize(46);
        assertThat(expected).hasSize(46);

        SentencePieceTokenizer tokenizer = load(gguf);
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            int[] ids = tokenizer.encode(cases.get(i), false, false);
            if (!Arrays.equals(ids, expected.get(i))) {
                mismatches.add("case " + i + " '" + cases.get(i) + "': expected " + Arrays.toString(expected.get(i))
                        + " got " + Arrays.toString(ids));
            }
        }
        assertThat(mismatches).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf"})
    void decodeGivesBackEveryCase(String vocab) throws IOException {
        // Byte fallback makes SentencePiece lossless: every case comes back, spaces and emoji included.
        SentencePieceTokenizer tokenizer = load(SharedData.require(VOCABS + vocab));
        for (String text : readCases(SharedData.require(VOCABS + vocab + ".inp"))) {
            assertThat(tokenizer.decode(tokenizer.encode(text, false, false))).isEqualTo(text);
            assertThat(tokenizer.decode(tokenizer.encode(text, true, false))).isEqualTo(text);
        }
    }

    @Test
    void phi3ChatMarkersEatTheNewlineAfterThem() {
        // llama.cpp's tokens for this Phi-3 prompt: the newlines after <|user|>, <|end|> and <|assistant|> go.
        SentencePieceTokenizer tokenizer = load(SharedData.require(VOCABS + "ggml-vocab-phi-3.gguf"));
        assertThat(tokenizer.encode("<|user|>\nSYS\nHI<|end|>\n<|assistant|>\n", true, true))
                .containsExactly(1, 32010, 317, 21554, 13, 17628, 32007, 32001);
    }

    @Test
    void refusesOtherTokenizerModelsByName() {
        Path gpt2 = SharedData.require(VOCABS + "ggml-vocab-gpt-2.gguf");
        try (GgufFile file = GgufFile.open(gpt2)) {
            assertThatThrownBy(() -> Tokenizers.load(file))
                    .isInstanceOf(GgufFormatException.class)
                    .hasMessageContaining("'gpt2'")
                    .hasMessageContaining("'llama'");
        }
    }

    @Test
    void stories260KGreedyIdsStreamToLlama2cText() throws IOException {
        SentencePieceTokenizer tokenizer = load(SharedData.stories260K());
        String ids = Files.readString(SharedData.require("models/stories260K/expected-greedy-200.ids"));
        byte[] expected = Files.readAllBytes(SharedData.require("models/stories260K/expected-greedy-200.txt"));
        int[] tokens = Arrays.stream(ids.trim().split("\\s+")).mapToInt(Integer::parseInt).toArray();
        assertThat(tokens).hasSize(201).startsWith(tokenizer.vocabulary().bosId());

        StreamingDecoder decoder = new StreamingDecoder(tokenizer);
        StringBuilder text = new StringBuilder();
        for (int token : tokens) {
            text.append(decoder.accept(token));
        }
        text.append(decoder.flush());
        assertThat(text.toString().getBytes(UTF_8)).isEqualTo(expected);
        assertThat(text.toString()).startsWith("Once upon a time");
    }
}
