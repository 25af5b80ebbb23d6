package dev.loupe.train;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class LoaderTest {
    private static int[] iota(int n, int base) {
        return IntStream.range(0, n).map(i -> base + i).toArray();
    }

    @Test
    void sequentialFollowsLlmcAndWrapsAfterTheLastWholeBatch() {
        // 2·3 = 6 tokens per batch; 20 tokens hold (20 − 1) / 6 = 3 batches; tokens 18, 19 are never inputs
        SequentialLoader l = new SequentialLoader(List.of(iota(20, 0)), 2, 3);
        assertThat(l.batchesPerEpoch()).isEqualTo(3);
        for (int i = 0; i < 3; i++) {
            TokenBatch b = l.next();
            assertThat(b.inputs()).containsExactly(iota(6, 6 * i));
            assertThat(b.targets()).containsExactly(iota(6, 6 * i + 1));
        }
        assertThat(l.next().inputs()).containsExactly(iota(6, 0)); // wrapped to the start
        assertThat(l.position()).isEqualTo(4);
    }

    @Test
    void sequentialMovesThroughShardsInOrder() {
        SequentialLoader l = new SequentialLoader(List.of(iota(7, 0), iota(13, 100)), 2, 3);
        assertThat(l.next().inputs()).containsExactly(iota(6, 0));
        assertThat(l.next().inputs()).containsExactly(iota(6, 100));
        assertThat(l.next().inputs()).containsExactly(iota(6, 106));
        assertThat(l.next().inputs()).containsExactly(iota(6, 0));
    }

    @Test
    void randomIsSeededAndSeekable() {
        List<int[]> shards = List.of(iota(50, 0), iota(30, 1000));
        RandomLoader a = new RandomLoader(shards, 4, 8, 7), b = new RandomLoader(shards, 4, 8, 7);
        TokenBatch[] first = new TokenBatch[6];
        for (int i = 0; i < 6; i++) first[i] = a.next();
        b.seek(3);
        for (int i = 3; i < 6; i++) assertThat(b.next().inputs()).containsExactly(first[i].inputs());
        for (TokenBatch t : first) {
            for (int r = 0; r < 4; r++) {
                int s = t.inputs()[r * 8];
                for (int k = 0; k < 8; k++) {
                    assertThat(t.inputs()[r * 8 + k]).isEqualTo(s + k);   // a window never crosses shards
                    assertThat(t.targets()[r * 8 + k]).isEqualTo(s + k + 1);
                }
            }
        }
        RandomLoader other = new RandomLoader(shards, 4, 8, 8);
        assertThat(other.next().inputs()).isNotEqualTo(first[0].inputs());
    }
}
