package dev.loupe.web;

import dev.loupe.model.io.SamplePrompt;
import dev.loupe.tokens.CharTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The explorer's default prompt: the training sample, or a repeated span the model can read, within the token budget. */
class DefaultPromptTest {
    @TempDir
    Path tmp;

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

    @Test
    void opensOnTheTrainingSampleKeptBesideTheModel() {
        Path dir = TestModels.small(tmp.resolve("m"), 64, 1, 2);
        assertThat(DefaultPrompt.forModel(ExplorerModel.open(dir), 64).source()).isEqualTo("vocabulary");
        SamplePrompt.write(dir, "the cat sat on the mat, the cat sat");
        DefaultPrompt.Choice c = DefaultPrompt.forModel(ExplorerModel.open(dir), 64);
        assertThat(c).isEqualTo(new DefaultPrompt.Choice("the cat sat on the mat, the cat sat", "training text"));
    }

    @Test
    void fallsBackToTheVocabularyWhenTheSampleDoesNotFitOrCannotBeRead() {
        Path dir = TestModels.small(tmp.resolve("m"), 64, 1, 2);
        SamplePrompt.write(dir, "the cat sat on the mat, the cat sat");
        DefaultPrompt.Choice tooLong = DefaultPrompt.forModel(ExplorerModel.open(dir), 16);
        assertThat(tooLong.source()).isEqualTo("vocabulary");
        assertThat(tooLong.text()).isEqualTo(DefaultPrompt.of(tok, 16));
        SamplePrompt.write(dir, "THE CAT");   // characters this vocabulary lacks
        assertThat(DefaultPrompt.forModel(ExplorerModel.open(dir), 64).source()).isEqualTo("vocabulary");
    }
}
