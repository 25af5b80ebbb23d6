package dev.loupe.experiments.monosemanticity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.sae.SaeFiles;
import dev.loupe.sae.SparseAutoencoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The monosemanticity reproduction on a reduced setting (d_model 64, 256 neurons, 2048 features, a few hundred steps). */
class MonosemanticityTest {
    static final MonosemanticitySettings REDUCED = new MonosemanticitySettings(1, 400_000, 600, 16, 64, 64, 256, 4, 3e-3, 8,
            120_000L, 256, 4.0, 1e-3, 8192, 6);

    @TempDir
    Path out;

    @Test
    void featuresAreMoreSpecificThanNeuronsAndTheReportSaysSo() throws Exception {
        List<String> stages = new ArrayList<>();
        MonosemanticityResult r = Monosemanticity.run(REDUCED, stages::add);
        JsonNode json = MonosemanticityReport.write(r, out);

        assertThat(stages.getFirst()).startsWith("training the transformer");
        assertThat(r.transformer().lastLoss()).isLessThan(r.transformer().firstLoss() - 1);
        assertThat(r.sae().dSae()).isEqualTo(8 * 256);
        // the SAE stands in for the MLP: most of the variance, most of the loss recovered
        assertThat(r.metrics().explainedVariance()).isGreaterThan(0.5);
        assertThat(r.metrics().ceLossScore()).isBetween(0.5, 1.05);
        assertThat(r.metrics().ceLossWithSae()).isLessThan(r.metrics().ceLossWithAblation());
        assertThat(r.metrics().l0()).isBetween(1.0, 2048.0 / 4);

        // the paper's finding: for most classes the best feature is more specific than the best neuron
        assertThat(r.classesWhereFeaturesWin()).as(json.path("classes").toPrettyString()).isGreaterThanOrEqualTo(3);
        assertThat(json.path("classes_where_features_are_more_specific").asInt()).isEqualTo(r.classesWhereFeaturesWin());

        for (String key : List.of("l0", "explained_variance", "ce_loss_clean", "ce_loss_with_sae", "ce_loss_with_ablation", "ce_loss_score",
                "dead_features", "log10_density_histogram")) {
            assertThat(json.path("sae").has(key)).as(key).isTrue();
        }
        int histogram = 0;
        for (JsonNode c : json.path("sae").path("log10_density_histogram").path("counts")) histogram += c.asInt();
        assertThat(histogram + json.path("sae").path("dead_features").asInt()).isEqualTo(2048);
        assertThat(json.path("classes")).hasSize(ProxyClass.values().length);
        for (JsonNode c : json.path("classes")) {
            for (String unit : List.of("best_feature", "best_neuron")) {
                for (String key : List.of("index", "specificity", "sensitivity", "correlation")) {
                    assertThat(c.path(unit).has(key)).as(c.path("class").asText() + "." + unit + "." + key).isTrue();
                }
                assertThat(c.path(unit).path("specificity").asDouble()).isBetween(0.0, 1.0);
            }
            assertThat(c.path("tokens").asInt()).isPositive();
        }

        // the files: a report page linking the dashboards, dashboards with pages for the best units, the SAE in SAELens' layout
        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).contains("Towards Monosemanticity").contains("features.html#" + r.features().best(ProxyClass.GREEK).unit())
                .contains("neurons.html#" + r.neurons().best(ProxyClass.GREEK).unit());
        JsonNode features = new ObjectMapper().readTree(out.resolve("features.json").toFile());
        assertThat(features.path("features").get(r.features().best(ProxyClass.BASE64).unit()).has("groups")).isTrue();
        SparseAutoencoder loaded = SaeFiles.load(out.resolve("sae"));
        assertThat(loaded.config().metadata().hookName()).isEqualTo("blocks.0.mlp.hook_post");
        assertThat(Files.exists(out.resolve("model/config.json"))).isTrue();
        assertThat(Files.exists(out.resolve("neurons.html"))).isTrue();
        assertThat(Files.readString(out.resolve("heldout.txt"))).isEqualTo(ProxyCorpus.generate(1, 1, 8192));
    }
}
