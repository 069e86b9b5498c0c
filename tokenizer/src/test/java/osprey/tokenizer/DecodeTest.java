package osprey.tokenizer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DecodeTest {
    private final SentencePieceTokenizer tokenizer = new VocabBuilder().bytes()
            .piece("▁", -1).piece("▁Hello", -2).piece("▁world", -2).piece(",", -3).piece("é", -3)
            .piece("▁▁", -4).piece("!", -5)
            .add("<tool>", 0, TokenType.USER_DEFINED)
            .add("<|end|>", 0, TokenType.CONTROL)
            .add("[PAD]", 0, TokenType.UNUSED)
            .tokenizer();
    private final Vocabulary vocab = tokenizer.vocabulary();

    private byte[] bytesOf(String token) {
        return tokenizer.tokenBytes(vocab.id(token));
    }

    @Test
    void eachKindOfTokenRendersAsLlamaCppRendersIt() {
        assertThat(bytesOf("▁Hello")).isEqualTo(" Hello".getBytes(UTF_8));
        assertThat(bytesOf("é")).isEqualTo("é".getBytes(UTF_8));
        assertThat(bytesOf("<0x0A>")).containsExactly(0x0A);
        assertThat(bytesOf("<0xF0>")).containsExactly(0xF0);
        assertThat(bytesOf("<tool>")).isEqualTo("<tool>".getBytes(UTF_8));
        assertThat(bytesOf("<s>")).isEmpty();
        assertThat(bytesOf("<|end|>")).isEmpty();
        assertThat(bytesOf("<unk>")).isEmpty(); // current llama.cpp: unknown is suppressed like control
        assertThat(bytesOf("[PAD]")).isEmpty();
    }

    @Test
    void specialTokensCanBeRenderedAsTheirText() {
        assertThat(tokenizer.tokenBytes(vocab.id("<|end|>"), true)).isEqualTo("<|end|>".getBytes(UTF_8));
        assertThat(tokenizer.tokenBytes(vocab.id("<unk>"), true)).isEqualTo("<unk>".getBytes(UTF_8));
        assertThat(tokenizer.tokenBytes(vocab.id("▁Hello"), true)).isEqualTo(" Hello".getBytes(UTF_8));
    }

    @Test
    void tokenBytesCannotCorruptTheTokenizer() {
        bytesOf("▁Hello")[0] = 'X';
        assertThat(bytesOf("▁Hello")).isEqualTo(" Hello".getBytes(UTF_8));
    }

    @Test
    void decodeTakesOffTheDummyPrefixOnceAndSkipsControlTokens() {
        int[] ids = {1, vocab.id("▁Hello"), vocab.id(","), vocab.id("▁world"), vocab.id("<|end|>")};
        assertThat(tokenizer.decode(ids)).isEqualTo("Hello, world");
    }

    @Test
    void decodeJoinsByteTokensIntoCharacters() {
        int[] ids = {vocab.id("▁"), vocab.id("<0xF0>"), vocab.id("<0x9F>"), vocab.id("<0xA6>"), vocab.id("<0x99>")};
        assertThat(tokenizer.decode(ids)).isEqualTo("🦙");
    }

    @Test
    void invalidBytesDecodeAsReplacementCharacters() {
        int[] ids = {vocab.id("<0xFF>"), vocab.id("▁Hello"), vocab.id("<0xE2>")};
        assertThat(tokenizer.decode(ids)).isEqualTo("\uFFFD Hello\uFFFD");
    }

    @Test
    void decodeUndoesEncode() {
        for (String s : new String[] {"Hello, world!", " Hello", "  Hello  ", "é🦙\n\t", "", " "}) {
            assertThat(tokenizer.decode(tokenizer.encode(s, false, false))).as("round trip of '%s'", s).isEqualTo(s);
            assertThat(tokenizer.decode(tokenizer.encode(s, true, false))).as("round trip of '%s'", s).isEqualTo(s);
        }
    }

    @Test
    void textAfterASpecialTokenComesBackWithTheSpaceEncodingAddedToIt() {
        // Not lossless, on purpose: llama.cpp gives every fragment after a special token the dummy prefix.
        assertThat(tokenizer.decode(tokenizer.encode("a<tool>b", false, false))).isEqualTo("a<tool> b");
    }
}
