package dev.loupe.web;

import dev.loupe.tokens.CharTokenizer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The explorer's default prompt: a repeated span the model can read, within the token budget. */
class DefaultPromptTest {
    final CharTokenizer tok = CharTokenizer.fromCorpus(TestModels.ALPHABET);

    @Test
    void isASpanOfDistinctVocabularyEntriesSaidTwice() {
        String p = DefaultPrompt.of(tok, 64);
        int[] ids = tok.encode(p);
        assertThat(ids).hasSize(2 * DefaultPrompt.MAX_SPAN);
        int n = ids.length / 2;
        for (int i = 0; i < n; i++) assertThat(ids[n + i]).isEqualTo(ids[i]);
        assertThat(java.util.Arrays.stream(ids, 0, n).distinct().count()).isEqualTo(n);
        assertThat(p).doesNotContain("\n");
    }

    @Test
    void fitsAShortContext() {
        assertThat(tok.encode(DefaultPrompt.of(tok, 8))).hasSize(8);
        assertThat(tok.encode(DefaultPrompt.of(tok, 3))).hasSize(2);
    }

    @Test
    void acceptsListsEveryCharacterOfACharacterVocabulary() {
        assertThat(DefaultPrompt.accepts(tok)).contains("30 characters").contains("abcdefghijklmnopqrstuvwxyz").contains("↵");
    }
}
