package dev.loupe.tokens;

import dev.loupe.LoupeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CharTokenizerTest {

    @Test
    void vocabularyIsSortedDistinctCodePointsLikePythonSortedSet() {
        // U+1F600 (surrogate pair in UTF-16) sorts after U+FF01 by code point, though its first
        // UTF-16 unit 0xD83D is smaller: Python's sorted(set(text)) order.
        CharTokenizer t = CharTokenizer.fromCorpus("ba\uFF01a😀\nb ");
        assertThat(t.chars()).containsExactly("\n", " ", "a", "b", "\uFF01", "😀");
        assertThat(t.vocabSize()).isEqualTo(6);
        assertThat(t.encode("ab 😀\n")).containsExactly(2, 3, 1, 5, 0);
        assertThat(t.decode(new int[] {5, 4, 0})).isEqualTo("😀\uFF01\n");
        assertThat(t.tokenText(1)).isEqualTo(" ");
        assertThat(t.endOfText()).isEmpty();
        assertThat(t.encodeAllowingSpecial("ab")).containsExactly(2, 3);
    }

    @Test
    void unknownCharacterIsNamedWithItsPosition() {
        CharTokenizer t = CharTokenizer.fromCorpus("abc ");
        assertThatThrownBy(() -> t.encode("ab c\tx"))
                .isInstanceOf(LoupeException.class)
                .hasMessageContaining("'→' (U+0009)")
                .hasMessageContaining("position 4");
    }

    @Test
    void idOutOfRangeIsAClearError() {
        CharTokenizer t = CharTokenizer.fromCorpus("ab");
        assertThatThrownBy(() -> t.decode(new int[] {0, 2})).isInstanceOf(LoupeException.class).hasMessageContaining("token id 2");
    }

    @Test
    void savesAndLoadsTokenizerJson(@TempDir Path dir) throws Exception {
        CharTokenizer t = CharTokenizer.fromCorpus("First Citizen:\nBefore we proceed 😀 \"quoted\" \\ back");
        Tokenizers.save(t, dir);
        String json = Files.readString(dir.resolve("tokenizer.json"));
        assertThat(json).contains("\"type\" : \"char\"").contains("\"chars\"");
        Tokenizer back = Tokenizers.load(dir).orElseThrow();
        assertThat(back).isEqualTo(t);
        String text = "Before 😀 \"we\"\n";
        assertThat(back.decode(back.encode(text))).isEqualTo(text);
    }

    @Test
    void malformedTokenizerJsonIsAClearError(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, "{\"type\":\"char\",\"chars\":[\"a\",\"ab\"]}");
        assertThatThrownBy(() -> Tokenizers.load(dir)).isInstanceOf(LoupeException.class)
                .hasMessageContaining("tokenizer.json").hasMessageContaining("entry 1");
        Files.writeString(f, "{\"type\":\"char\",\"chars\":[\"b\",\"a\"]}");
        assertThatThrownBy(() -> Tokenizers.load(dir)).isInstanceOf(LoupeException.class).hasMessageContaining("sorted");
        Files.writeString(f, "{\"type\":\"wordpiece\"}");
        assertThatThrownBy(() -> Tokenizers.load(dir)).isInstanceOf(LoupeException.class).hasMessageContaining("wordpiece");
        Files.writeString(f, "{\"type\":");
        assertThatThrownBy(() -> Tokenizers.load(dir)).isInstanceOf(LoupeException.class).hasMessageContaining("malformed JSON");
    }

    @Test
    void directoryWithoutTokenizerIsEmptyNotAnError(@TempDir Path dir) {
        assertThat(Tokenizers.load(dir)).isEmpty();
        assertThatThrownBy(() -> Tokenizers.require(dir)).isInstanceOf(LoupeException.class).hasMessageContaining("no tokenizer");
        assertThatThrownBy(() -> Tokenizers.load(dir.resolve("missing"))).isInstanceOf(LoupeException.class)
                .hasMessageContaining("not a directory");
    }
}
