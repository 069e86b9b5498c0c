package osprey.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamingDecoderTest {
    private final SentencePieceTokenizer tokenizer = new VocabBuilder().bytes()
            .piece("▁Once", -1).piece("▁upon", -1).piece("▁", -2).piece("A", -3).tokenizer();
    private final Vocabulary vocab = tokenizer.vocabulary();

    /** What the decoder returns for each token, in order, then what flush returns. */
    private List<String> stream(String... tokens) {
        StreamingDecoder decoder = new StreamingDecoder(tokenizer);
        List<String> out = new ArrayList<>();
        for (String token : tokens) {
            int id = vocab.id(token);
            assertThat(id).as(token).isNotNegative();
            out.add(decoder.accept(id));
        }
        out.add(decoder.flush());
        return out;
    }

    @Test
    void dropsTheSpaceOfTheFirstPieceAfterBos() {
        assertThat(stream("<s>", "▁Once", "▁upon")).containsExactly("", "Once", " upon", "");
    }

    @Test
    void keepsTheSpaceWithoutBos() {
        assertThat(stream("▁Once", "▁upon")).containsExactly(" Once", " upon", "");
    }

    @Test
    void aByteTokenSpaceAfterBosIsText() {
        assertThat(stream("<s>", "<0x20>", "A")).containsExactly("", " ", "A", "");
    }

    @Test
    void holdsBackACharacterUntilAllItsBytesHaveArrived() {
        assertThat(stream("<0xF0>", "<0x9F>", "<0xA6>", "<0x99>", "A"))
                .containsExactly("", "", "", "🦙", "A", "");
        assertThat(stream("▁Once", "<0xC3>", "<0xA9>")).containsExactly(" Once", "", "é", "");
        assertThat(stream("<s>", "<0xE2>", "<0x82>", "<0xAC>")).containsExactly("", "", "", "€", "");
    }

    @Test
    void aByteThatCanNeverStartACharacterIsReplacedAtOnce() {
        assertThat(stream("<0xFF>", "A")).containsExactly("\uFFFD", "A", "");
        assertThat(stream("<0x80>")).containsExactly("\uFFFD", "");
    }

    @Test
    void anInterruptedCharacterIsReplacedWhenTheNextByteRulesItOut() {
        assertThat(stream("<0xE2>", "<0x82>", "A")).containsExactly("", "", "\uFFFDA", "");
        assertThat(stream("<0xF0>", "▁Once")).containsExactly("", "\uFFFD Once", "");
    }

    @Test
    void flushReplacesAnUnfinishedCharacter() {
        assertThat(stream("▁Once", "<0xF0>", "<0x9F>")).containsExactly(" Once", "", "", "\uFFFD");
    }

    @Test
    void controlTokensAddNothing() {
        assertThat(stream("▁Once", "</s>")).containsExactly(" Once", "", "");
    }
}
