package dev.loupe.experiments.moe;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.analysis.moe.LabelledRouting;
import dev.loupe.analysis.moe.LayerDiagnostics;
import dev.loupe.experiments.Progress;
import dev.loupe.model.Gpt;
import dev.loupe.model.io.ModelDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The reproduction on a tiny setting: three trained runs, consistent routing counts, every file written. */
class MoeSpecialisationTest {
    @Test
    void trainsThreeModelsReadsTheirRoutingAndWritesTheReport(@TempDir Path out) throws Exception {
        var settings = new MoeSpecialisation.Settings(30, 4, 1, 16, 0.01f, 0.001f, 20_000, 3);
        List<String> stages = new ArrayList<>();
        MoeSpecialisationResult x = new MoeSpecialisation(settings).run(new Progress() {
            @Override
            public void stage(String message) {
                stages.add(message);
            }
        });
        assertThat(stages).hasSize(3).allMatch(s -> s.startsWith("training the "));
        assertThat(x.runs()).extracting(MoeSpecialisation.Run::name).containsExactly("without aux loss", "with aux loss", "dense");
        int heldTokens = MoeSpecialisation.HELD_OUT_CHARS;
        for (MoeSpecialisation.Run run : x.runs().subList(0, 2)) {
            assertThat(run.lossLast()).isLessThan(run.lossFirst());
            assertThat(run.routing().layers()).hasSize(2);
            for (int i = 0; i < 2; i++) {
                LayerDiagnostics l = run.routing().layers().get(i);
                assertThat(Arrays.stream(l.counts()).sum()).isEqualTo(heldTokens);                 // top-1: one slot per token
                LabelledRouting src = run.bySource().get(i);
                long slots = 0, experts0 = 0;
                for (long[] row : src.joint()) { for (long v : row) slots += v; experts0 += row[0]; }
                assertThat(slots).isEqualTo(heldTokens);
                assertThat(experts0).isEqualTo(l.counts()[0]);                                      // the same routing, split by source
                assertThat(src.labelEntropyBits()).isBetween(1.9, 2.0);                             // four sources, nearly uniform
            }
        }
        // top-1 with d_mlp = d_e: the active MoE differs from the dense model only by the routers, 2 layers × d_model × E
        assertThat(x.withAux().active() - x.dense().parameters()).isEqualTo(2L * MoeSpecialisation.D_MODEL * 4);
        assertThat(x.withAux().parameters()).isGreaterThan(x.withAux().active());
        assertThat(x.dense().active()).isEqualTo(x.dense().parameters());

        String md = MoeSpecialisationReport.write(out, x);
        assertThat(md).contains("without aux loss", "with aux loss", "dense", "I(source; expert)", "Top-1 note");
        assertThat(md.split("\\*\\*(NOT )?MATCHED\\*\\*", -1)).hasSize(5);
        var json = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertThat(json.get("reproduction").asText()).isEqualTo("moe-specialisation");
        assertThat(json.get("runs")).hasSize(3);
        assertThat(json.get("runs").get(1).get("layers").get(0).get("source_expert_counts")).hasSize(4);
        assertThat(json.get("findings")).hasSize(4);
        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).contains("RᵀR (layer 1)", "source → first-choice expert").doesNotContain("<script");
        for (String dir : List.of("without-aux", "with-aux", "dense")) {
            var m = ModelDirectory.read(out.resolve(dir));
            assertThat(Gpt.fromWeights(m.config(), m.weights()).config()).isEqualTo(x.runs().get(List.of("without-aux", "with-aux", "dense").indexOf(dir)).gpt().config());
            assertThat(out.resolve(dir).resolve("tokenizer.json")).exists();
        }
    }
}
