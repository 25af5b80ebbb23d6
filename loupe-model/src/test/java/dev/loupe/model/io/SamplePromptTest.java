package dev.loupe.model.io;

import dev.loupe.LoupeException;
import dev.loupe.tokens.CharTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The training-text sample kept beside a model: which window it takes, and its file. */
class SamplePromptTest {
    @TempDir
    Path tmp;

    /** Random lowercase letters (a span repeats only by chance, and briefly), with a given text spliced in at {@code at}. */
    static String noise(int length, long seed, String splice, int at) {
        Random r = new Random(seed);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) s.append((char) ('a' + r.nextInt(26)));
        return s.replace(at, at + splice.length(), splice).toString();
    }

    @Test
    void takesTheWindowWhereASpanRecurs() {
        String span = "QRSTUVWX";
        String text = noise(3000, 1, span + "ab" + span, 1700);
        CharTokenizer tok = CharTokenizer.fromCorpus(text);
        String sample = SamplePrompt.choose(tok.encode(text), tok, 32);
        assertThat(sample).hasSize(32);
        assertThat(sample.indexOf(span)).isNotNegative().isNotEqualTo(sample.lastIndexOf(span));
        assertThat(text).contains(sample);
    }

    @Test
    void startsAtAWordWhenTheTextHasWords() {
        String text = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma";
        text = text + " " + text;
        CharTokenizer tok = CharTokenizer.fromCorpus(text);
        String sample = SamplePrompt.choose(tok.encode(text), tok, 40);
        assertThat(tok.encode(sample).length).isLessThanOrEqualTo(40);
        int at = text.indexOf(sample), after = at + sample.length();
        assertThat(at == 0 || text.charAt(at - 1) == ' ').as("'%s' starts a word", sample).isTrue();
        assertThat(after == text.length() || text.charAt(after) == ' ').as("'%s' ends a word", sample).isTrue();
        assertThat(sample).doesNotEndWith(" ");
    }

    @Test
    void keepsWithinTheBudgetAndTheCap() {
        String text = noise(500, 2, "", 0);
        CharTokenizer tok = CharTokenizer.fromCorpus(text);
        assertThat(SamplePrompt.choose(tok.encode(text), tok, 8)).hasSize(8);
        assertThat(SamplePrompt.choose(tok.encode(text), tok, 10_000)).hasSize(SamplePrompt.MAX_TOKENS);
        CharTokenizer xy = CharTokenizer.fromCorpus("xy");
        assertThat(SamplePrompt.choose(xy.encode("xy"), xy, 64)).isEqualTo("xy");
    }

    @Test
    void longestRepeatCountsNonOverlappingSpans() {
        int[][] run = new int[9][9];
        assertThat(SamplePrompt.longestRepeat(new int[] {1, 2, 3, 9, 1, 2, 3, 8}, 0, 8, run)).isEqualTo(3);
        assertThat(SamplePrompt.longestRepeat(new int[] {5, 5, 5, 5, 5}, 0, 5, run)).isEqualTo(2);
        assertThat(SamplePrompt.longestRepeat(new int[] {7, 1, 2, 3, 4}, 1, 4, run)).isZero();
    }

    @Test
    void writesAndReadsTheFile() throws Exception {
        assertThat(SamplePrompt.read(tmp)).isEmpty();
        SamplePrompt.write(tmp, "to be, or not to be\n");
        assertThat(Files.readString(tmp.resolve("sample_prompt.txt"))).isEqualTo("to be, or not to be\n");
        assertThat(SamplePrompt.read(tmp)).contains("to be, or not to be\n");
        Files.write(tmp.resolve(SamplePrompt.FILE), new byte[] {'a', (byte) 0xff});
        assertThatThrownBy(() -> SamplePrompt.read(tmp)).isInstanceOf(LoupeException.class).hasMessageContaining("UTF-8");
    }
}
