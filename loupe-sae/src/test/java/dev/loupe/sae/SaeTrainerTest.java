package dev.loupe.sae;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The training loop's invariants: exact resume, unit-norm decoder with projection, resampling, normalisation folding. */
class SaeTrainerTest {
    @TempDir Path tmp;

    static SaeTrainingSettings settings(Architecture arch, boolean resample, String normalize, long tokens) {
        return new SaeTrainingSettings(arch, 40, 4, 2.0, 2e-3, 5, 10, tokens, 64, normalize, 8, 10, resample,
                1.0 / 32, "geometric_median", 0.9, 0.999, 3, 0);
    }

    @Test
    void resumingFromACheckpointGivesTheIdenticalTrajectory() {
        for (Architecture arch : List.of(Architecture.STANDARD, Architecture.TOPK)) {
            SaeTrainingSettings s = settings(arch, arch == Architecture.STANDARD, "expected_average_only_in", 64L * 40);
            SaeTrainer straight = SaeTrainer.start(s, new SyntheticSource(16, 32, 0.05, 64, 4), SaeMetadata.of("toy", "h"));
            while (!straight.done()) straight.trainStep();

            SaeTrainer first = SaeTrainer.start(s, new SyntheticSource(16, 32, 0.05, 64, 4), SaeMetadata.of("toy", "h"));
            for (int i = 0; i < 17; i++) first.trainStep();
            Path out = tmp.resolve(arch.saeLensName());
            SaeCheckpoints.save(out, first, JsonNodeFactory.instance.objectNode().put("arch", arch.saeLensName()));
            SaeCheckpoints.Loaded loaded = SaeCheckpoints.loadLatest(out).orElseThrow();
            SaeTrainer resumed = SaeTrainer.restore(s, new SyntheticSource(16, 32, 0.05, 64, 4), SaeMetadata.of("toy", "h"), loaded.state());
            while (!resumed.done()) resumed.trainStep();

            assertThat(resumed.history()).as(arch + " curve").isEqualTo(straight.history());
            assertThat(resumed.current().wDec().maxAbsDiff(straight.current().wDec())).as(arch + " W_dec").isZero();
            assertThat(resumed.current().bDec().maxAbsDiff(straight.current().bDec())).isZero();
            assertThat(resumed.featureDensity()).isEqualTo(straight.featureDensity());
        }
    }

    @Test
    void topkDecoderRowsStayUnitNormAndGradientsLoseTheirParallelPart() {
        Tensor w = Tensor.randn(1, 1f, 6, 5);
        Tensor g = Tensor.randn(2, 1f, 6, 5);
        SaeTrainer.removeParallelComponent(g, w);
        for (int j = 0; j < 6; j++) {
            double dot = 0;
            for (int i = 0; i < 5; i++) dot += g.get(j, i) * w.get(j, i);
            assertThat(dot).isCloseTo(0, within(1e-5));
        }
        SaeTrainer t = SaeTrainer.start(settings(Architecture.TOPK, false, "none", 64L * 12), new SyntheticSource(16, 32, 0.05, 64, 4),
                SaeMetadata.of("toy", "h"));
        while (!t.done()) {
            t.trainStep();
            float[] norms = SaeStep.rowNorms(t.current().wDec());
            for (float n : norms) assertThat(n).isCloseTo(1f, within(1e-5f));
        }
    }

    @Test
    void resamplingRevivesDeadLatentsOfTheStandardSae() {
        SaeTrainingSettings s = settings(Architecture.STANDARD, true, "none", 64L * 10);
        SaeTrainer t = SaeTrainer.start(s, new SyntheticSource(16, 32, 0.05, 64, 4), SaeMetadata.of("toy", "h"));
        // kill latents 0..9: a very negative bias keeps them silent for the whole first window
        for (int j = 0; j < 10; j++) t.state().weights().get("b_enc").data()[j] = -1e3f;
        while (!t.done()) t.trainStep();
        float[] b = t.current().bEnc().data();
        for (int j = 0; j < 10; j++) assertThat(b[j]).as("b_enc[" + j + "] reset").isGreaterThan(-10f);
        Tensor wDec = t.current().wDec();
        float[] norms = SaeStep.rowNorms(wDec);
        for (int j = 0; j < 10; j++) assertThat(norms[j]).as("resampled row " + j + " is a unit input direction").isCloseTo(1f, within(1e-5f));
    }

    @Test
    void normalisedTrainingSavesWeightsForRawActivations() {
        SaeTrainingSettings s = settings(Architecture.STANDARD, false, "expected_average_only_in", 64L * 6);
        SyntheticSource src = new SyntheticSource(16, 32, 0.05, 64, 4);
        SaeTrainer t = SaeTrainer.start(s, src, SaeMetadata.of("toy", "h"));
        assertThat(src.scale()).isNotEqualTo(1f);
        while (!t.done()) t.trainStep();
        SaeFiles.save(t.current(), tmp, t.featureDensity());
        SparseAutoencoder saved = SaeFiles.load(tmp);
        assertThat(saved.config().normalizeActivations()).isEqualTo("none");
        Tensor raw = src.batch(99);
        Tensor scaled = raw.copy();
        SparseAutoencoder.scaleInPlace(scaled, src.scale());
        // the trained SAE on scaled inputs, mapped back to raw units, equals the saved SAE on raw inputs
        SparseAutoencoder training = SparseAutoencoder.of(t.current().config().withNormalizeActivations("none"),
                t.current().wEnc(), t.current().bEnc(), t.current().wDec(), t.current().bDec(), null);
        Tensor expect = training.forward(scaled);
        SparseAutoencoder.scaleInPlace(expect, 1f / src.scale());
        assertThat(saved.forward(raw).maxAbsDiff(expect)).isLessThan(1e-4f);
    }
}
