package osprey.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SentencePieceTokenizerTest {

    /** The tokens of an encoding, as text, so a failure reads as what was merged. */
    private static String[] pieces(SentencePieceTokenizer tokenizer, int[] ids) {
        return Arrays.stream(ids).mapToObj(tokenizer.vocabulary()::token).toArray(String[]::new);
    }

    private static String[] encode(SentencePieceTokenizer tokenizer, String text) {
        return pieces(tokenizer, tokenizer.encode(text, false, false));
    }

    @Test
    void highestScoringPairMergesFirst() {
        var bcFirst = new VocabBuilder().noSpacePrefix()
                .piece("a", -10).piece("b", -10).piece("c", -10).piece("ab", -2).piece("bc", -1).tokenizer();
        assertThat(encode(bcFirst, "abc")).containsExactly("a", "bc");

        var abFirst = new VocabBuilder().noSpacePrefix()
                .piece("a", -10).piece("b", -10).piece("c", -10).piece("ab", -1).piece("bc", -2).tokenizer();
        assertThat(encode(abFirst, "abc")).containsExactly("ab", "c");
    }

    @Test
    void equalScoresMergeLeftmostFirst() {
        var tokenizer = new VocabBuilder().noSpacePrefix()
                .piece("a", -10).piece("b", -10).piece("ab", -1).piece("ba", -1).tokenizer();
        // "aba": "ab" (left 0) and "ba" (left 1) tie, so "ab" wins and "a" is left alone.
        assertThat(encode(tokenizer, "aba")).containsExactly("ab", "a");
        assertThat(encode(tokenizer, "bab")).containsExactly("ba", "b");
    }

    @Test
    void mergesContinueFromMergedSymbols() {
        // a+b -> ab, then ab+c -> abc, although "bc" alone scores better than "abc".
        var tokenizer = new VocabBuilder().noSpacePrefix()
                .piece("a", -10).piece("b", -10).piece("c", -10).piece("d", -10)
                .piece("ab", -1).piece("bc", -2).piece("abc", -3).piece("cd", -4).tokenizer();
        assertThat(encode(tokenizer, "abcd")).containsExactly("abc", "d");
        assertThat(encode(tokenizer, "abcdabcd")).containsExactly("abc", "d", "abc", "d");
    }

    @Test
    void aPairThatIsNotATokenNeverMerges() {
        // "abc" is a token, but neither "ab" nor "bc" is, so there is no path to it: BPE only merges pairs.
        var tokenizer = new VocabBuilder().noSpacePrefix()
                .piece("a", -1).piece("b", -1).piece("c", -1).piece("abc", 0).tokenizer();
        assertThat(encode(tokenizer, "abc")).containsExactly("a", "b", "c");
    }

    @Test
    void spacesBecomeTheMetaSymbolAndTheTextGetsADummyPrefix() {
        var tokenizer = new VocabBuilder()
                .piece("▁", -1).piece("H", -5).piece("i", -5).piece("▁H", -2).piece("▁Hi", -1).piece("▁▁", -3)
                .tokenizer();
        assertThat(encode(tokenizer, "Hi")).containsExactly("▁Hi");
        assertThat(encode(tokenizer, "Hi Hi")).containsExactly("▁Hi", "▁Hi");
        assertThat(encode(tokenizer, " Hi")).containsExactly("▁", "▁Hi");
        assertThat(encode(tokenizer, " ")).containsExactly("▁▁");
        assertThat(encode(tokenizer, "")).isEmpty();
    }

    @Test
    void withoutSpacePrefixTheTextIsTakenAsIs() {
        var tokenizer = new VocabBuilder().noSpacePrefix()
                .piece("▁", -1).piece("H", -5).piece("i", -5).piece("Hi", -2).piece("▁Hi", -1).tokenizer();
        assertThat(encode(tokenizer, "Hi")).containsExactly("Hi");
        assertThat(encode(tokenizer, " Hi")).containsExactly("▁Hi");
    }

    @Test
    void onlyTheSpaceIsEscapedNotOtherWhitespace() {
        var tokenizer = new VocabBuilder().bytes().piece("▁", -1).tokenizer();
        assertThat(encode(tokenizer, "\t\n")).containsExactly("▁", "<0x09>", "<0x0A>");
    }

    @Test
    void charactersWithoutATokenFallBackToTheirUtf8Bytes() {
        var tokenizer = new VocabBuilder().bytes().piece("▁", -1).piece("a", -2).tokenizer();
        // é is 2 bytes, € 3, the llama emoji 4 (a surrogate pair in Java).
        assertThat(encode(tokenizer, "aé€🦙")).containsExactly(
                "▁", "a", "<0xC3>", "<0xA9>", "<0xE2>", "<0x82>", "<0xAC>", "<0xF0>", "<0x9F>", "<0xA6>", "<0x99>");
    }

    @Test
    void anEmojiWithATokenIsOneToken() {
        var tokenizer = new VocabBuilder().bytes().piece("▁", -1).piece("🦙", -2).piece("▁🦙", -3).tokenizer();
        assertThat(encode(tokenizer, "🦙🦙")).containsExactly("▁🦙", "🦙");
    }

    @Test
    void withoutByteTokensAnUnknownCharacterIsOneUnknownToken() {
        var tokenizer = new VocabBuilder().piece("▁", -1).piece("a", -2).tokenizer();
        assertThat(encode(tokenizer, "a🦙a")).containsExactly("▁", "a", "<unk>", "a");
    }

    @Test
    void withNeitherByteTokensNorUnknownEncodingFails() {
        var vocab = new Vocabulary(new String[] {"a"}, null, null, -1, -1, -1, false, false, false);
        assertThatThrownBy(() -> new SentencePieceTokenizer(vocab).encode("b", false, false))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("U+0062");
    }

    @Test
    void addBosPutsBosFirst() {
        var tokenizer = new VocabBuilder().piece("▁a", -1).tokenizer();
        assertThat(tokenizer.encode("a", true, false)).containsExactly(1, tokenizer.vocabulary().id("▁a"));
        assertThat(tokenizer.encode("", true, false)).containsExactly(1);
    }

    private static SentencePieceTokenizer chatVocabulary(VocabBuilder builder) {
        return builder.bytes()
                .piece("▁", -1).piece("a", -2).piece("b", -2).piece("▁a", -1).piece("▁b", -1)
                .piece("<", -3).piece(">", -3).piece("s", -3).piece("/", -3)
                .add("<|user|>", 0, TokenType.CONTROL)
                .add("<|end|>", 0, TokenType.CONTROL)
                .add("<|endoftext|>", 0, TokenType.CONTROL)
                .add("<tool>", 0, TokenType.USER_DEFINED)
                .tokenizer();
    }

    @Test
    void controlTokensInTheTextAreParsedOnlyWhenAsked() {
        var tokenizer = chatVocabulary(new VocabBuilder());
        assertThat(pieces(tokenizer, tokenizer.encode("<s>a", false, true))).containsExactly("<s>", "▁a");
        assertThat(pieces(tokenizer, tokenizer.encode("<s>a", false, false)))
                .containsExactly("▁", "<", "s", ">", "a");
    }

    @Test
    void textAfterASpecialTokenGetsTheSpacePrefixAgain() {
        // llama.cpp's rule: every text fragment that follows a special token is prefixed, not only the first.
        var tokenizer = chatVocabulary(new VocabBuilder());
        assertThat(pieces(tokenizer, tokenizer.encode("a<|user|>b<|end|>", true, true)))
                .containsExactly("<s>", "▁a", "<|user|>", "▁b", "<|end|>");
        assertThat(pieces(tokenizer, tokenizer.encode("<|user|>", false, true))).containsExactly("<|user|>");
    }

    @Test
    void userDefinedTokensAreSplitOutEvenWithoutParseSpecial() {
        var tokenizer = chatVocabulary(new VocabBuilder());
        assertThat(pieces(tokenizer, tokenizer.encode("a<tool>b", false, false)))
                .containsExactly("▁a", "<tool>", "▁b");
    }

    @Test
    void longerSpecialTokensWinOverShorterOnes() {
        var tokenizer = new VocabBuilder().bytes().piece("▁", -1)
                .add("<e>", 0, TokenType.CONTROL).add("<e><e>", 0, TokenType.CONTROL).tokenizer();
        assertThat(pieces(tokenizer, tokenizer.encode("<e><e><e>", false, true))).containsExactly("<e><e>", "<e>");
    }

    @Test
    void phi3SpecialTokensSwallowTheWhitespaceAfterThem() {
        var plain = chatVocabulary(new VocabBuilder());
        var phi3 = new SentencePieceTokenizer(plain.vocabulary().withModelName("Phi3"));
        String prompt = "<|user|>\na<|end|>\n";
        assertThat(pieces(phi3, phi3.encode(prompt, false, true))).containsExactly("<|user|>", "▁a", "<|end|>");
        assertThat(pieces(plain, plain.encode(prompt, false, true)))
                .containsExactly("<|user|>", "▁", "<0x0A>", "a", "<|end|>", "▁", "<0x0A>");
        // <s> and <|endoftext|> keep what follows them, as in llama.cpp.
        assertThat(pieces(phi3, phi3.encode("<|endoftext|> a", false, true)))
                .containsExactly("<|endoftext|>", "▁", "▁a");
    }

    @Test
    void longInputsEncodeInNearLinearTime() {
        // A quadratic merge loop would take minutes on this; the queue takes well under a second.
        var tokenizer = new VocabBuilder().noSpacePrefix()
                .piece("a", -4).piece("aa", -3).piece("aaaa", -2).piece("aaaaaaaa", -1).tokenizer();
        int[] ids = tokenizer.encode("a".repeat(400_000), false, false);
        assertThat(ids).hasSize(50_000).containsOnly(tokenizer.vocabulary().id("aaaaaaaa"));
    }
}
