package dev.loupe.analysis.circuits;

import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.matmul.Backends;
import dev.loupe.tensor.matmul.Matmul;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.Locale;

/**
 * PERFORMANCE.md P7, a benchmark rather than a test (it asserts nothing about time): every head's
 * copying and matching scores and every Q/K/V composition score, with baselines, of a randomly
 * initialised GPT-2-small-shaped model (12 layers × 12 heads, d_model 768, vocab 50257). Run with
 * <pre>
 *   mvn -B -ntp -q -pl loupe-analysis -am test -Dtest=CircuitsBenchmark -Dsurefire.failIfNoSpecifiedTests=false -Dloupe.bench=true
 * </pre>
 * Target: under 30 s on 2 cores, no vocab × vocab matrix (the JVM's 6 GB heap could not hold one).
 */
@EnabledIfSystemProperty(named = "loupe.bench", matches = "true")
class CircuitsBenchmark {
    @Test
    void gpt2SmallShapedCircuits() {
        Gpt gpt = Gpt.create(GptConfig.gpt2(50257, 1024, 768, 12, 12), 1);
        System.out.println("P7: matmul backend " + Backends.describe(Matmul.backend()));
        for (int pass = 1; pass <= 2; pass++) {
            long t0 = System.nanoTime();
            HeadCircuits c = new HeadCircuits(gpt);
            double sum = 0;
            for (HeadId h : c.allHeads()) sum += c.ovCopyingScore(h.layer(), h.head()) + c.qkMatchingScore(h.layer(), h.head());
            long t1 = System.nanoTime();
            CompositionScores all = CompositionScores.compute(c);
            for (Composition k : Composition.values()) CompositionBaseline.of(k, c.dModel(), c.dHead(), CompositionBaseline.DEFAULT_DRAWS, 0);
            long t2 = System.nanoTime();
            System.out.printf(Locale.ROOT, "P7 pass %d: head scores (144 heads × OV + QK) %.2f s, composition (%d pairs × 3) + baselines %.2f s, total %.2f s (checksum %.4f)%n",
                    pass, (t1 - t0) / 1e9, all.pairs().size(), (t2 - t1) / 1e9, (t2 - t0) / 1e9, sum);
        }
    }
}
