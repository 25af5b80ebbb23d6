package dev.loupe.train;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * llm.c's shuffled training order, checked against llm.c itself: the expected values below were
 * printed by a C program built on llm.c's own {@code llmc/dataloader.h} and {@code llmc/rand.h}
 * (commit f1e2ace, May 2025) — {@code dataloader_init(&l, "shard_*.bin", 2, 4, 0, 1, 1)} over three
 * token files whose token i of shard s is {@code 1000·s + i} — so the first input of every batch
 * names its shard and sample.
 */
class ShuffledLoaderTest {
    /** llm.c: shard_a 41 tokens (5 samples of 2·4), shard_b 59 (7), shard_c 25 (3); 50 batches = 3⅓ epochs. */
    static final int[] LLMC_FIRST_INPUTS = {2016, 2000, 2008, 1024, 1016, 1008, 1048, 1000, 1040, 1032, 8, 0, 32, 16, 24,
            1024, 1000, 1040, 1032, 1016, 1008, 1048, 0, 8, 16, 32, 24, 2000, 2008, 2016,
            1024, 1032, 1048, 1008, 1040, 1000, 1016, 2008, 2000, 2016, 8, 0, 24, 32, 16,
            1032, 1008, 1000, 1016, 1024};

    static List<int[]> shards() {
        return List.of(IntStream.range(0, 41).toArray(), IntStream.range(0, 59).map(i -> 1000 + i).toArray(),
                IntStream.range(0, 25).map(i -> 2000 + i).toArray());
    }

    @Test
    void mersenneTwisterMatchesTorchAndLlmc() {
        // llm.c's rand.h documents these first outputs for seed 137, identical to torch.manual_seed(137)
        Mt19937 r = new Mt19937(137);
        assertThat(List.of(r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt()))
                .containsExactly((int) 4053805790L, (int) 2173880614L, 380293709, 1237255315, (int) 2986595568L);
        // seed 42, printed by llm.c's randint32 (the reference MT19937's first output for 42 is 1608637542)
        Mt19937 s = new Mt19937(42);
        assertThat(List.of(s.nextInt(), s.nextInt(), s.nextInt()))
                .containsExactly(1608637542, (int) 3421126067L, (int) 4083286876L);
    }

    @Test
    void batchesComeInLlmcsShuffledOrderAcrossEpochs() {
        ShuffledLoader l = new ShuffledLoader(shards(), 2, 4);
        List<Integer> first = new ArrayList<>();
        for (int i = 0; i < LLMC_FIRST_INPUTS.length; i++) {
            TokenBatch b = l.next();
            first.add(b.inputs()[0]);
            // a whole sample: 8 consecutive tokens, targets shifted by one
            assertThat(b.inputs()).containsExactly(IntStream.range(0, 8).map(k -> b.inputs()[0] + k).toArray());
            assertThat(b.targets()).containsExactly(IntStream.range(0, 8).map(k -> b.inputs()[0] + k + 1).toArray());
        }
        assertThat(first).containsExactly(IntStream.of(LLMC_FIRST_INPUTS).boxed().toArray(Integer[]::new));
    }

    @Test
    void seekContinuesExactlyWhereTheRunStopped() {
        for (int at : new int[] {0, 1, 3, 14, 15, 16, 29, 30, 37}) {
            ShuffledLoader l = new ShuffledLoader(shards(), 2, 4);
            l.seek(at);
            assertThat(l.position()).isEqualTo(at);
            for (int i = at; i < LLMC_FIRST_INPUTS.length; i++) {
                assertThat(l.next().inputs()[0]).as("batch %d after seek(%d)", i, at).isEqualTo(LLMC_FIRST_INPUTS[i]);
            }
        }
    }

    @Test
    void settingsBuildIt() {
        assertThat(TrainingSettings.LOADERS).contains("shuffled");
        TrainingSettings s = new TrainingSettings(2, 4, 10, new LrSchedule(1e-3, 1e-4, 0, 10, LrSchedule.Kind.COSINE),
                new AdamW.Settings(0.9, 0.95, 1e-8, 0.1), 1.0, "shuffled", 1, 0, 0, 0);
        assertThat(s.newLoader(shards())).isInstanceOf(ShuffledLoader.class);
    }
}
