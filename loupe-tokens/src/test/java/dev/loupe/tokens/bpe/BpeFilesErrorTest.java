package dev.loupe.tokens.bpe;

import dev.loupe.LoupeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 20: a 3 MB token in merges.txt made a 3 MB error line. */
class BpeFilesErrorTest {
    @TempDir
    Path dir;

    @Test
    void hugeTokensAreCutInErrorMessages() throws IOException {
        Path vocab = Files.writeString(dir.resolve("vocab.json"), "{\"a\": 0, \"b\": 1, \"ab\": 2}");
        String huge = "x".repeat(3 << 20);
        for (String line : new String[] {"a " + huge, huge, "a b " + huge}) {
            Path merges = Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\na b\n" + line + "\n");
            assertThatThrownBy(() -> BpeFiles.loadHuggingFace(vocab, merges)).isInstanceOf(LoupeException.class)
                    .hasMessageContaining("merges.txt line 3").hasMessageContaining("(3,145,7")
                    .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(400));
        }
        Path merges = Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\na b\n");
        Path bigVocab = Files.writeString(dir.resolve("vocab.json"), "{\"a\": 0, \"b\": 1, \"ab\": 2, \"" + "y".repeat(40_000) + "\": \"7\"}");
        assertThatThrownBy(() -> BpeFiles.loadHuggingFace(bigVocab, merges))
                .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(400)).hasMessageContaining("(40,000 characters)").hasMessageContaining("must be an integer");
        assertThat(BpeFiles.shown("ab")).isEqualTo("\"ab\"");
    }
}
