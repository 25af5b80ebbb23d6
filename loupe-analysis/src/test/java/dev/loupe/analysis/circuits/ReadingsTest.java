package dev.loupe.analysis.circuits;

import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The 0- and 1-layer readings against their materialised matrices (small vocabulary). */
class ReadingsTest {

    @Test
    void bigramRowsAreTheTopOfWeTimesWu() {
        Gpt gpt = PathExpansionTest.attentionOnly(0, 3);
        BigramTable table = new BigramTable(gpt);
        Tensor we = gpt.embedding.weight, wu = gpt.unembedding.weight;
        for (int t = 0; t < 13; t++) {
            BigramTable.Row row = table.row(t, 3);
            double[] logits = new double[13];
            for (int v = 0; v < 13; v++) for (int j = 0; j < 12; j++) logits[v] += (double) we.get(t, j) * wu.get(v, j);
            int best = 0;
            for (int v = 1; v < 13; v++) if (logits[v] > logits[best]) best = v;
            assertThat(row.next()).hasSize(3);
            assertThat(row.next().getFirst().column()).isEqualTo(best);
            assertThat(row.next().getFirst().value()).isCloseTo(logits[best], within(1e-4));
        }
    }

    @Test
    void skipTrigramsFollowTheQkAndOvCircuits() {
        Gpt gpt = PathExpansionTest.attentionOnly(1, 4);
        HeadCircuits c = new HeadCircuits(gpt);
        Tensor qk = c.fullQk(0, 2).materialize(), ov = c.fullOv(0, 2).materialize();
        List<SkipTrigrams.SkipTrigram> top = SkipTrigrams.of(c, 0, 2, 5);
        assertThat(top).hasSize(5);
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < 13; i++) for (int j = 0; j < 13; j++) max = Math.max(max, qk.get(i, j));
        SkipTrigrams.SkipTrigram first = top.getFirst();
        assertThat(first.qk()).isCloseTo(max, within(1e-4));
        assertThat(first.qk()).isCloseTo(qk.get(first.destination(), first.source()), within(1e-4));
        for (SkipTrigrams.SkipTrigram s : top) {
            for (int v = 0; v < 13; v++) assertThat((double) ov.get(s.source(), v)).isLessThanOrEqualTo(s.ov() + 1e-5);
            assertThat(s.qk()).isLessThanOrEqualTo(first.qk());
        }
    }
}
