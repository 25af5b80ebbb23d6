package dev.loupe.cli.reproduce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.MainTest;
import dev.loupe.model.lora.AdapterFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code loupe reproduce lora-rank-sweep}: flags reach the library, the table and the report land, the adapters load; mistakes are one line. */
class LoraRankSweepReproductionTest {
    @TempDir
    Path tmp;

    /** A 2-layer character model trained for a few steps on one text, and another text to fine-tune it on. */
    private Path base() throws Exception {
        Path text = tmp.resolve("cats.txt"), base = tmp.resolve("base");
        Files.writeString(text, "the cat sat on the mat. the dog sat on the log. ".repeat(40) + "a bird flew over a tree; a fish swam under a boat.");
        Files.writeString(tmp.resolve("other.txt"), "a bird flew over a tree; a fish swam under a boat. ".repeat(40));
        MainTest.Result r = MainTest.run("train", "--layers", "2", "--d-model", "16", "--heads", "2", "--seq", "16", "--batch", "4",
                "--steps", "60", "--lr", "1e-2", "--data", text.toString(), "--out", base.toString(), "--eval-every", "0");
        assertThat(r.code()).as(r.err()).isZero();
        return base;
    }

    @Test
    void sweepsAGivenModelOnGivenText() throws Exception {
        Path base = base(), out = tmp.resolve("sweep");
        MainTest.Result r = MainTest.run("reproduce", "lora-rank-sweep", "--model", base.toString(), "--data", tmp.resolve("other.txt").toString(),
                "--ranks", "2,1", "--alpha-over-r", "4", "--target-modules", "c_attn,c_fc", "--steps", "30", "--batch", "4", "--seq", "16",
                "--lr", "1e-2", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("reproduce lora-rank-sweep: LoRA r = 2 (alpha 8) on c_attn,c_fc", "reproduce lora-rank-sweep: full fine-tune",
                "step 30/30");
        assertThat(r.out().lines()).anyMatch(l -> l.startsWith("base ")).anyMatch(l -> l.startsWith("r1 ")).anyMatch(l -> l.startsWith("r2 "))
                .anyMatch(l -> l.startsWith("full "));
        assertThat(r.out()).contains("wrote " + out.resolve("report.html"));
        JsonNode j = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertThat(j.get("runs")).hasSize(3);
        assertThat(j.get("runs").get(0).get("rank").asInt()).isEqualTo(1);
        assertThat(j.get("runs").get(1).get("lora_alpha").asDouble()).isEqualTo(8);
        assertThat(j.get("settings").get("target_modules").toString()).isEqualTo("[\"c_attn\",\"c_fc\"]");
        assertThat(j.get("base_model").get("original_loss").isNull()).as("the base's own text is unknown here").isTrue();
        for (JsonNode run : j.get("runs")) {
            assertThat(run.get("val_loss").asDouble()).as(run.toString()).isLessThan(j.get("base_model").get("val_loss").asDouble());
        }
        assertThat(out.resolve("base")).as("a given base model is not copied").doesNotExist();
        assertThat(AdapterFiles.read(out.resolve("r2")).config().baseModel()).isEqualTo(base.toString());
        assertThat(out.resolve("loss_vs_rank.png")).exists();
        MainTest.Result eval = MainTest.run("eval", "--model", base.toString(), "--adapter", out.resolve("r2").toString(), "--data",
                tmp.resolve("other.txt").toString(), "--seq", "16");
        assertThat(eval.code()).as(eval.err()).isZero();
        MainTest.Result full = MainTest.run("eval", "--model", out.resolve("full").toString(), "--data", tmp.resolve("other.txt").toString(),
                "--seq", "16");
        assertThat(full.code()).as("the fully fine-tuned model is a model directory with its tokenizer: " + full.err()).isZero();
    }

    @Test
    void theEmbeddedDefaultNeedsNoFiles() throws Exception {
        Path out = tmp.resolve("embedded");
        MainTest.Result r = MainTest.run("reproduce", "lora-rank-sweep", "--ranks", "1", "--no-full", "--pretrain-steps", "4", "--steps", "4",
                "--batch", "2", "--seq", "16", "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("reproduce lora-rank-sweep: pretraining the base model");
        assertThat(r.out()).startsWith("embedded: ").contains("original");
        JsonNode j = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertThat(j.get("runs")).hasSize(1);
        assertThat(j.get("base_model").get("dir").asText()).isEqualTo("base");
        assertThat(out.resolve("base/config.json")).exists();
        assertThat(out.resolve("full")).doesNotExist();
    }

    @Test
    void mistakesAreOneLineAndWriteNothing() throws Exception {
        Path out = tmp.resolve("x");
        MainTest.Result alone = MainTest.run("reproduce", "lora-rank-sweep", "--model", tmp.toString(), "--out", out.toString());
        assertThat(alone.code()).isEqualTo(2);
        assertThat(alone.err()).contains("--model and --data go together").doesNotContain("\tat ");
        MainTest.Result rank = MainTest.run("reproduce", "lora-rank-sweep", "--ranks", "0", "--out", out.toString());
        assertThat(rank.code()).isEqualTo(2);
        assertThat(rank.err().lines().findFirst().orElse("")).contains("ranks must be positive, got 0");
        Path base = base();
        MainTest.Result seq = MainTest.run("reproduce", "lora-rank-sweep", "--model", base.toString(), "--data", tmp.resolve("other.txt").toString(),
                "--out", out.toString());
        assertThat(seq.code()).isEqualTo(2);
        assertThat(seq.err()).contains("seq 64 is longer than the model's context n_positions 16");
        MainTest.Result target = MainTest.run("reproduce", "lora-rank-sweep", "--model", base.toString(), "--data", tmp.resolve("other.txt").toString(),
                "--seq", "16", "--target-modules", "q_proj", "--out", out.toString());
        assertThat(target.code()).isEqualTo(2);
        assertThat(target.err()).contains("matches no module").doesNotContain("Exception");
        assertThat(out).doesNotExist();
    }

    @Test
    void helpTeachesWithExamples() {
        MainTest.Result r = MainTest.run("reproduce", "lora-rank-sweep", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Hu et al., 2021", "--ranks", "--target-modules", "--model", "Examples:", "loupe reproduce lora-rank-sweep");
        assertThat(MainTest.run("reproduce", "--help").out()).contains("lora-rank-sweep");
    }
}
