package dev.loupe.cli.train;

import org.junit.jupiter.api.Test;

import static dev.loupe.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** Issue 20, items 4 and 5: the help says what the windows, loaders and decay groups really are. */
class TrainHelpWordingTest {

    @Test
    void evalHelpSaysWindowsAdvanceBySeqAndShareOneToken() {
        String help = run("eval", "--help").out().replaceAll("\\s+", " ");
        assertThat(help).doesNotContain("non-overlapping")
                .contains("windows of --seq + 1 tokens that advance by --seq: consecutive windows share one token")
                .contains("as in llm.c's loader");
    }

    @Test
    void trainHelpNamesTheLlmcLoaderEachOrderMatchesAndTheDecayGroups() {
        String help = run("train", "--help").out().replaceAll("\\s+", " ");
        assertThat(help).contains("sequential: consecutive batches").contains("llm.c's loader without shuffling")
                .contains("shuffled: llm.c's train_gpt2.c training order since June 2024")
                .contains("mt19937 seeded with 42")
                .contains("--decay-all").contains("as llm.c's train_gpt2.c (gpt2_update)")
                .contains("weight matrices and embeddings only, as GPT-2 and nanoGPT")
                .contains("keeps its learning-rate schedule");
    }
}
