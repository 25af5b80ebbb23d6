package dev.loupe.cli.quickstart;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.MainTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Iterator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class QuickstartCommandTest {

    /**
     * The bar, on the command's own outputs: in the 2-layer model a layer-1 head with induction
     * score ≥ 0.5 that rests on a layer-0 previous-token head (ablating that head collapses it); no
     * head of the 1-layer model reaches 0.5.
     */
    @Test
    void twoLayerModelFormsAnInductionHeadOnAPreviousTokenHeadAndOneLayerDoesNot(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("qs");
        var r = MainTest.run("quickstart", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();

        JsonNode models = new ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("models");
        assertThat(models).hasSize(2);
        JsonNode two = models.get(0), one = models.get(1);
        assertThat(two.get("name").asText()).isEqualTo("attn-only-2l");
        assertThat(two.get("layers").asInt()).isEqualTo(2);
        assertThat(one.get("name").asText()).isEqualTo("attn-only-1l");
        assertThat(two.get("heads")).hasSize(8);
        assertThat(one.get("heads")).hasSize(4);
        for (JsonNode m : models) {
            assertThat(m.get("final_loss").asDouble()).isBetween(0.5, Math.log(32));
            Iterator<String> keys = m.get("heads").get(0).fieldNames();
            assertThat(keys).toIterable().containsExactly("layer", "head", "prev_token_score", "induction_score", "duplicate_score");
        }

        double bestLayer1 = 0, bestPrev0 = 0, bestOne = 0;
        int bestPrevHead = -1;
        for (JsonNode h : two.get("heads")) {
            if (h.get("layer").asInt() == 1) bestLayer1 = Math.max(bestLayer1, h.get("induction_score").asDouble());
            if (h.get("layer").asInt() == 0 && h.get("prev_token_score").asDouble() > bestPrev0) {
                bestPrev0 = h.get("prev_token_score").asDouble();
                bestPrevHead = h.get("head").asInt();
            }
        }
        for (JsonNode h : one.get("heads")) bestOne = Math.max(bestOne, h.get("induction_score").asDouble());
        assertThat(bestLayer1).as("2-layer model's best layer-1 induction score").isGreaterThanOrEqualTo(0.5);
        assertThat(bestOne).as("1-layer model's best induction score").isLessThan(0.5);
        assertThat(bestPrev0).as("layer 0's best previous-token score").isGreaterThan(0.3);

        // the mechanism: the induction head rests on layer 0's previous-token heads (ablating them at least halves it)
        Matcher m = Pattern.compile("rests on layer 0's previous-token heads (.+): ablating them drops it to ([0-9.]+)\\)")
                .matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        assertThat(m.group(1)).contains("L0H" + bestPrevHead + " (");
        assertThat(Double.parseDouble(m.group(2))).isLessThan(bestLayer1 / 2);
        assertThat(two.get("icl_score").asDouble()).isLessThan(one.get("icl_score").asDouble());
        assertThat(r.out()).contains("An induction head formed in the 2-layer model and not in the 1-layer one.")
                .contains("Report: " + out.resolve("report.html"));

        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).contains("<svg").contains("induction head").contains("previous-token head")
                .doesNotContain("<script").doesNotContain("src=").doesNotContain("href=\"http");   // pictures are data: URIs
        assertThat(out.resolve("attn-only-2l/config.json")).exists();
        // each model keeps a window of its training text (serve and trace open on it): within the context, a span said twice
        for (String name : List.of("attn-only-2l", "attn-only-1l")) {
            Path modelDir = out.resolve(name);
            String sample = Files.readString(modelDir.resolve("sample_prompt.txt"));
            int[] ids = dev.loupe.tokens.Tokenizers.require(modelDir).encode(sample);
            assertThat(ids.length).isBetween(2, dev.loupe.model.io.ModelDirectory.readConfig(modelDir).nPositions());
            assertThat(dev.loupe.model.io.SamplePrompt.longestRepeat(ids))
                    .as(sample).isGreaterThanOrEqualTo(3);
        }

        // issue 19: one notation, one probe, and "Next:" commands that run as written and agree with the summary
        assertThat(r.out()).containsPattern("induction score, 2-layer model, head L1H\\d: ").doesNotContainPattern("head \\d\\.\\d")
                .contains("Next: ./loupe detect --model " + out.resolve("attn-only-2l") + " ").doesNotContain("reproduce induction --model");
        String probe = two.get("probe").asText();
        assertThat(r.out()).contains("(scores on the standard probe: " + probe + ")");
        assertThat(html).contains(probe).contains("<td>L1H");
        Path detectOut = dir.resolve("detect");
        var d = MainTest.run("detect", "--model", out.resolve("attn-only-2l").toString(), "--out", detectOut.toString());
        assertThat(d.code()).as(d.err()).isZero();
        assertThat(d.out()).contains("probe    " + probe + " (the standard probe)");
        JsonNode detected = new ObjectMapper().readTree(detectOut.resolve("detect.json").toFile());
        for (JsonNode h : two.get("heads")) {
            int l = h.get("layer").asInt(), hh = h.get("head").asInt();
            assertThat(detected.get("induction").get(l).get(hh).asDouble()).as("L%dH%d induction, detect vs quickstart", l, hh)
                    .isCloseTo(h.get("induction_score").asDouble(), org.assertj.core.data.Offset.offset(1e-4));
        }
    }

    @Test
    void badStepsIsUsageError() {
        assertThat(MainTest.run("quickstart", "--steps", "3").code()).isEqualTo(2);
    }
}
