package osprey.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VocabularyTest {

    @Test
    void looksUpIdsByText() {
        var vocab = new Vocabulary(new String[] {"<unk>", "a", "▁b"}, null, null, -1, -1, 0, false, false, true);
        assertThat(vocab.id("▁b")).isEqualTo(2);
        assertThat(vocab.id("c")).isEqualTo(-1);
        assertThat(vocab.score(1)).isZero();
    }

    @Test
    void aDuplicatedTextMapsToItsLastId() {
        var vocab = new Vocabulary(new String[] {"a", "a"}, null, null, -1, -1, -1, false, false, true);
        assertThat(vocab.id("a")).isEqualTo(1);
    }

    @Test
    void missingTokenTypesAreGuessed() {
        var vocab = new Vocabulary(new String[] {"<unk>", "<s>", "</s>", "<0x0A>", "<0xZZ>", "x"},
                null, null, 1, 2, 0, true, false, true);
        assertThat(vocab.tokenTypes()).containsExactly(TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL,
                TokenType.BYTE, TokenType.NORMAL, TokenType.NORMAL);
    }

    @Test
    void rejectsArraysOfTheWrongLength() {
        assertThatThrownBy(() -> new Vocabulary(new String[] {"a"}, new float[2], null, -1, -1, -1, false, false, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scores");
        assertThatThrownBy(() -> new Vocabulary(new String[] {"a"}, null, null, 5, -1, -1, false, false, true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bos");
    }

    @Test
    void onlyPhi3GetsRightStripping() {
        var vocab = new VocabBuilder().add("<|user|>", 0, TokenType.CONTROL).build();
        int user = vocab.id("<|user|>");
        assertThat(vocab.withModelName("Llama-2-7b").rstrip()[user]).isFalse();
        assertThat(vocab.withModelName(null).rstrip()[user]).isFalse();
        var phi3 = vocab.withModelName("Phi-3-mini-4k-instruct");
        assertThat(phi3.rstrip()[user]).isTrue();
        assertThat(phi3.rstrip()[vocab.id("<s>")]).isFalse();
        assertThat(phi3.rstrip()[vocab.id("<unk>")]).isFalse();
        assertThat(phi3.rstrip()[vocab.id("</s>")]).isTrue();
    }
}
