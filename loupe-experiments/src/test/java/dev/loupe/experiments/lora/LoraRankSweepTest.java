package dev.loupe.experiments.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.experiments.Progress;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.model.lora.AdapterFiles;
import dev.loupe.model.lora.LoraModel;
import dev.loupe.tensor.Tensor;
import dev.loupe.train.Evaluator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The rank sweep on a tiny embedded setting (seconds): what it counts, measures and saves is what the runs were. */
class LoraRankSweepTest {
    @TempDir
    static Path out;
    static SweepInputs in;
    static Map<String, Tensor> before;
    static LoraRankSweepResult result;
    static final LoraRankSweep.Settings SETTINGS = new LoraRankSweep.Settings(List.of(4, 1, 2), 2, List.of("c_attn", "c_proj", "c_fc"),
            true, 150, 4, 16, 2e-2, 10, 7);

    @BeforeAll
    static void sweep() {
        in = SweepInputs.embedded(new SweepInputs.Embedded(1, 32, 2, 16, 400, 40_000, 12_000, 3, 4), Progress.SILENT);
        before = new LinkedHashMap<>();
        in.weights().forEach((k, v) -> before.put(k, v.copy()));
        List<String> stages = new ArrayList<>();
        result = new LoraRankSweep(SETTINGS).run(in, out, stages::add);
        assertThat(stages).anyMatch(s -> s.startsWith("LoRA r = 2 (alpha 4)")).anyMatch(s -> s.startsWith("full fine-tune"));
    }

    @Test
    void trainableParametersAreRTimesInPlusOutOverTheTargets() {
        GptConfig c = in.config();
        long perRank = 0;                                   // c_attn [d, 3d], attn.c_proj [d, d], mlp.c_fc [d, 4d], mlp.c_proj [4d, d]
        for (int l = 0; l < c.nLayer(); l++) perRank += (c.dModel() + 3L * c.dModel()) + 2L * c.dModel() + 2L * (c.dModel() + c.dMlp());
        assertThat(result.lora()).extracting(SweepRun::rank).containsExactly(1, 2, 4);
        for (SweepRun r : result.lora()) {
            assertThat(r.trainable()).as(r.name()).isEqualTo(r.rank() * perRank);
            assertThat(r.alpha()).isEqualTo(2.0 * r.rank());
        }
        assertThat(result.full().trainable()).isEqualTo(result.baseParameters());
        assertThat(result.baseParameters()).isEqualTo(Gpt.create(c, 0).parameters().values().stream().mapToLong(Tensor::size).sum());
        long p = result.baseParameters();                  // float32: weights + gradients + AdamW m and v of what trains
        for (SweepRun r : result.lora()) assertThat(r.stateBytes()).as("no gradient or moment for a frozen weight").isEqualTo(4 * (p + 4 * r.trainable()));
        assertThat(result.full().stateBytes()).isEqualTo(16 * p);
    }

    @Test
    void everyFineTuneBeatsTheBaseOnTheFineTuneText() {
        for (SweepRun r : result.runs()) {
            assertThat(r.valLoss()).as(r.name()).isLessThan(result.baseValLoss() - 0.05);
            assertThat(r.trainLoss()).as(r.name()).isLessThan(result.baseTrainLoss() - 0.05);
            assertThat(r.secondsPerStep()).isPositive();
            assertThat(r.trainSeconds()).isGreaterThanOrEqualTo(r.secondsPerStep());
        }
        assertThat(result.baseOriginalLoss()).as("the base knows its own language better than the new one").isLessThan(result.baseValLoss());
    }

    /** The saved adapter is the model that was measured: merged into the base it gives the reported held-out loss. */
    @Test
    void savedAdaptersAndModelsGiveTheReportedLosses() throws Exception {
        ModelDirectory.LoadedModel base = ModelDirectory.read(result.baseDir());
        for (var e : before.entrySet()) {
            assertThat(in.weights().get(e.getKey()).toArray()).as("the sweep never changes the base weights: " + e.getKey())
                    .containsExactly(e.getValue().toArray());
            assertThat(base.weights().get(e.getKey()).toArray()).containsExactly(e.getValue().toArray());
        }
        long previous = 0;
        for (SweepRun r : result.lora()) {
            AdapterFiles.Loaded a = AdapterFiles.read(out.resolve(r.name()));
            assertThat(a.config().r()).isEqualTo(r.rank());
            assertThat(r.diskBytes()).isEqualTo(Files.size(a.dir().resolve(AdapterFiles.CONFIG)) + Files.size(a.dir().resolve(AdapterFiles.WEIGHTS)))
                    .isGreaterThan(previous);
            previous = r.diskBytes();
            Gpt merged = Gpt.fromWeights(base.config(), LoraModel.merged(base.config(), base.weights(), a));
            assertThat(Evaluator.evaluate(merged, in.data().val(), SETTINGS.batch(), SETTINGS.seq(), 0).loss()).isCloseTo(r.valLoss(), within(1e-4));
        }
        ModelDirectory.LoadedModel full = ModelDirectory.read(out.resolve("full"));
        Gpt gpt = Gpt.fromWeights(full.config(), full.weights());
        assertThat(Evaluator.evaluate(gpt, in.data().val(), SETTINGS.batch(), SETTINGS.seq(), 0).loss()).isCloseTo(result.full().valLoss(), within(1e-5));
        assertThat(result.full().diskBytes()).isGreaterThan(4 * result.baseParameters());
    }

    @Test
    void theReportHoldsEveryRun() throws Exception {
        LoraRankSweepReport.write(result, out);
        JsonNode j = new ObjectMapper().readTree(out.resolve(LoraRankSweepReport.JSON).toFile());
        assertThat(j.get("reproduction").asText()).isEqualTo("lora-rank-sweep");
        JsonNode runs = j.get("runs");
        assertThat(runs).hasSize(4);
        for (int i = 0; i < 3; i++) {
            SweepRun r = result.lora().get(i);
            assertThat(runs.get(i).get("rank").asInt()).isEqualTo(r.rank());
            assertThat(runs.get(i).get("val_loss").asDouble()).isEqualTo(r.valLoss());
            assertThat(runs.get(i).get("trainable_parameters").asLong()).isEqualTo(r.trainable());
            assertThat(out.resolve(runs.get(i).get("dir").asText()).resolve(AdapterFiles.WEIGHTS)).exists();
        }
        assertThat(runs.get(3).get("kind").asText()).isEqualTo("full");
        assertThat(runs.get(3).get("rank").isNull()).isTrue();
        assertThat(j.get("base_model").get("val_loss").asDouble()).isEqualTo(result.baseValLoss());
        assertThat(j.get("base_model").get("original_loss").asDouble()).isEqualTo(result.baseOriginalLoss());
        assertThat(j.get("settings").get("ranks")).hasSize(3);
        byte[] png = Files.readAllBytes(out.resolve(LoraRankSweepReport.PNG));
        assertThat(png).startsWith(0x89, 'P', 'N', 'G');
        assertThat(Files.readString(out.resolve(LoraRankSweepReport.HTML))).contains("data:image/png;base64,", "LoRA r4", "full fine-tune",
                "base model");
        assertThat(LoraRankSweepReport.table(result).lines()).hasSize(6).anyMatch(l -> l.startsWith("r2 ")).anyMatch(l -> l.startsWith("full "));
    }

    @Test
    void settingsThatCannotRunAreRefused() {
        assertThatThrownBy(() -> new LoraRankSweep.Settings(List.of(0), 2, List.of("c_attn"), true, 10, 2, 8, 1e-3, 1, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
        assertThatThrownBy(() -> new LoraRankSweep.Settings(List.of(), 2, List.of("c_attn"), false, 10, 2, 8, 1e-3, 1, 1))
                .hasMessageContaining("nothing to run");
        var s = new LoraRankSweep.Settings(List.of(1), 2, List.of("q_proj"), true, 10, 2, 8, 1e-3, 1, 1);
        assertThatThrownBy(() -> s.check(in.config())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("matches no module");
        var t = new LoraRankSweep.Settings(List.of(1), 2, List.of("c_attn"), true, 10, 2, 64, 1e-3, 1, 1);
        assertThatThrownBy(() -> t.check(in.config())).hasMessageContaining("n_positions");
    }
}
