package dev.loupe.experiments.highway;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.experiments.Progress;
import dev.loupe.model.Gpt;
import dev.loupe.model.HookPoints;
import dev.loupe.model.io.ModelDirectory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The depth experiment on a tiny setting: four arms train, the readings hold together, the report is written. */
class HighwayDepthTest {
    static HighwayDepth.Result result;

    @BeforeAll
    static void runTiny() {
        var s = new HighwayDepth.Settings(4, 16, 2, 8, 4, 12, 3e-3, -1f, 16, 4_000, 4, 5);
        result = new HighwayDepth(s).run(Progress.SILENT);
    }

    @Test
    void everyArmTrainsAndIsRead() {
        assertThat(result.arms()).extracting(a -> a.arm().name())
                .containsExactly("plain-post-ln", "plain-pre-ln", "highway", "gated-residual");
        for (HighwayDepth.TrainedArm a : result.arms()) {
            assertThat(a.steps()).hasSize(12);
            assertThat(a.evals()).extracting(p -> p.step()).containsExactly(4L, 8L, 12L);
            assertThat(a.finalLoss()).isFinite().isLessThan(Math.log(16) + 0.5);
            DepthReading r = a.reading();
            assertThat(r.relativeUpdate()).hasSize(4);
            assertThat(r.lesion()).hasSize(4);
            for (double c : r.cosine()) assertThat(c).isBetween(-1.0, 1.0);
            boolean gated = a.arm().highway() != null;
            assertThat(r.sublayers()).hasSize(gated ? 8 : 0);
            if (gated) {
                double total = r.embedShare();
                for (double f : r.finalShare()) total += f;
                assertThat(total).isCloseTo(1.0, within(1e-4));
                for (double g : r.meanGate()) assertThat(g).isStrictlyBetween(0.0, 1.0);
            }
        }
        // the gated arms start from b_T = −1, W_T small: the gates sit near σ(−1) ≈ 0.27 after 12 steps
        assertThat(result.arm("highway").reading().meanGate()[0]).isBetween(0.1, 0.5);
    }

    @Test
    void aLesionedHighwayBlockIsTheBlockWithBothGatesShut() {
        Gpt gpt = result.arm("highway").model();
        int[] in = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0}, target = in.clone();
        for (int i = 0; i < in.length; i++) target[i] = (in[i] * 7 + 3) % 16;
        double lesioned = DepthReading.lesioned(gpt, 1, in, target, 2, 8);
        double shut;
        try (var a = gpt.hooks().add(HookPoints.name(1, "hook_attn_gate"), (x, n) -> x.fill(0f));
             var m = gpt.hooks().add(HookPoints.name(1, "hook_mlp_gate"), (x, n) -> x.fill(0f))) {
            shut = gpt.loss(in, target, 2, 8);
        }
        assertThat(lesioned).isCloseTo(shut, within(1e-6)).isNotCloseTo(gpt.loss(in, target, 2, 8), within(1e-6));
    }

    @Test
    void theReportHoldsFindingsCurvesAndLoadableModels(@TempDir Path out) throws Exception {
        var findings = HighwayDepthReport.write(out, result);
        assertThat(findings).hasSize(11);
        var json = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertThat(json.get("arms")).hasSize(4);
        assertThat(json.get("arms").get(2).get("reading").get("mean_gate")).hasSize(8);
        assertThat(json.get("findings")).hasSize(11);
        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).contains("<svg").contains("mean gate T per block").contains("MATCHED");
        var loaded = ModelDirectory.read(out.resolve("models/highway"));
        assertThat(loaded.config().highway()).isNotNull();
        assertThat(out.resolve("models/highway/tokenizer.json")).exists();
    }
}
