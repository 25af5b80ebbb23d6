package dev.loupe.cli.lora;

import dev.loupe.cli.MainTest;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.model.lora.AdapterFiles;
import dev.loupe.model.lora.LoraModel;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.Npy;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.loupe.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

class FinetuneCommandTest {
    static final String TEXT = "the cat sat on the mat. the dog sat on the log. ".repeat(40);
    static final String OTHER = "a bird flew over a tree; a fish swam under a boat. ".repeat(40);
    @TempDir
    static Path dir;
    static Path base, other;

    @BeforeAll
    static void baseModel() throws Exception {
        Path text = dir.resolve("cats.txt");
        Files.writeString(text, TEXT + OTHER.substring(0, 200));
        other = dir.resolve("other.txt");
        Files.writeString(other, OTHER);
        base = dir.resolve("base");
        MainTest.Result r = run("train", "--layers", "2", "--d-model", "16", "--heads", "2", "--seq", "16", "--batch", "2",
                "--steps", "20", "--lr", "1e-2", "--data", text.toString(), "--out", base.toString(), "--eval-every", "0");
        assertThat(r.code()).as(r.err()).isZero();
    }

    static List<Float> losses(Path log) throws Exception {
        List<Float> l = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            var n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(line);
            if (n.has("loss")) l.add(n.get("loss").floatValue());
        }
        return l;
    }

    static String[] finetune(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("finetune", "--model", base.toString(), "--data", other.toString(),
                "--out", out.toString(), "--lora-r", "4", "--lora-alpha", "8", "--lora-dropout", "0.1", "--seq", "16", "--batch", "2",
                "--lr", "1e-2", "--eval-every", "3", "--checkpoint-every", "4"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void finetunesResumesExactlyAndWritesAPeftAdapter() throws Exception {
        Path straight = dir.resolve("straight");
        MainTest.Result a = run(finetune(straight, "--steps", "10", "--log-json", dir.resolve("a.jsonl").toString()));
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(a.err()).contains("trainable of").contains("done: 10 steps");
        assertThat(straight.resolve(AdapterFiles.CONFIG)).exists();
        assertThat(straight.resolve(AdapterFiles.WEIGHTS)).exists();
        assertThat(straight.resolve("model.safetensors")).doesNotExist();
        AdapterFiles.Loaded adapter = AdapterFiles.read(straight);
        assertThat(adapter.config().r()).isEqualTo(4);
        assertThat(adapter.tensors()).hasSize(16);
        List<Float> expected = losses(dir.resolve("a.jsonl"));
        assertThat(expected).hasSize(10);
        assertThat(expected.getLast()).as("the adapters learn the new text").isLessThan(expected.getFirst());

        Path resumed = dir.resolve("resumed");
        Path log = dir.resolve("b.jsonl");
        assertThat(run(finetune(resumed, "--steps", "6", "--log-json", log.toString())).code()).isZero();
        MainTest.Result b = run("finetune", "--model", base.toString(), "--data", other.toString(), "--out", resumed.toString(),
                "--steps", "10", "--log-json", log.toString());
        assertThat(b.code()).as(b.err()).isZero();
        assertThat(b.err()).contains("resuming");
        assertThat(losses(log)).containsExactlyElementsOf(expected);

        MainTest.Result bad = run("finetune", "--model", base.toString(), "--data", other.toString(), "--out", resumed.toString(),
                "--lora-r", "2");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--lora-r cannot change on resume");
        Path copy = Files.createDirectories(dir.resolve("base-copy"));
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) Files.copy(base.resolve(f), copy.resolve(f));
        MainTest.Result otherBase = run("finetune", "--model", copy.toString(), "--data", other.toString(),
                "--out", resumed.toString(), "--steps", "12");
        assertThat(otherBase.code()).isEqualTo(2);
        assertThat(otherBase.err()).contains("holds adapters trained on --model");
    }

    @Test
    void adapterOptionAndMergeGiveTheAdaptedLogits() throws Exception {
        Path adapter = dir.resolve("adapter");
        assertThat(run(finetune(adapter, "--steps", "4")).code()).isZero();
        Path merged = dir.resolve("merged");
        MainTest.Result m = run("merge", "--model", base.toString(), "--adapter", adapter.toString(), "--out", merged.toString());
        assertThat(m.code()).as(m.err()).isZero();
        assertThat(merged.resolve("tokenizer.json")).exists();

        String ids = "3,5,1,7,2,9,4";
        Path viaAdapter = dir.resolve("adapter.npy"), viaMerged = dir.resolve("merged.npy"), plain = dir.resolve("base.npy");
        assertThat(run("logits", "--model", base.toString(), "--adapter", adapter.toString(), "--ids", ids, "--out", viaAdapter.toString()).code()).isZero();
        assertThat(run("logits", "--model", merged.toString(), "--ids", ids, "--out", viaMerged.toString()).code()).isZero();
        assertThat(run("logits", "--model", base.toString(), "--ids", ids, "--out", plain.toString()).code()).isZero();
        // the unmerged adapter forward (x·W + b + s·(x·Aᵀ)·Bᵀ in every layer), from the library
        ModelDirectory.LoadedModel b = ModelDirectory.read(base);
        AdapterFiles.Loaded a = AdapterFiles.read(adapter);
        LoraModel lora = LoraModel.load(b.config(), b.weights(), a.config(), a.tensors(), 0);
        Tensor forward = lora.model().logits(new int[] {3, 5, 1, 7, 2, 9, 4}, 1, 7).reshape(7, b.config().vocabSize());
        assertThat(Npy.read(viaMerged).maxAbsDiff(forward)).isLessThanOrEqualTo(1e-5f);
        assertThat(Npy.read(viaAdapter).maxAbsDiff(forward)).isLessThanOrEqualTo(1e-5f);
        assertThat(Npy.read(plain).maxAbsDiff(forward)).as("the adapter changes the logits").isGreaterThan(1e-3f);

        AdapterOption option = new AdapterOption();
        option.adapter = adapter;
        var explorer = option.openExplorer(base);   // what 'serve --adapter' serves
        assertThat(explorer.name()).isEqualTo("base + adapter");
        assertThat(explorer.gpt().logits(new int[] {3, 5, 1, 7, 2, 9, 4}, 1, 7).reshape(7, b.config().vocabSize()).maxAbsDiff(forward))
                .isLessThanOrEqualTo(1e-5f);

        MainTest.Result eval = run("eval", "--model", base.toString(), "--adapter", adapter.toString(), "--data", other.toString(), "--json");
        MainTest.Result evalBase = run("eval", "--model", base.toString(), "--data", other.toString(), "--json");
        assertThat(eval.code()).as(eval.err()).isZero();
        assertThat(eval.out()).isNotEqualTo(evalBase.out());
        assertThat(run("generate", "--model", base.toString(), "--adapter", adapter.toString(), "--prompt", "a ", "--max-tokens", "5").code()).isZero();
        assertThat(run("circuits", "--model", base.toString(), "--adapter", adapter.toString(), "--top", "1").code()).isZero();

        Path report = dir.resolve("report");
        MainTest.Result readout = run("lora", "--model", base.toString(), "--adapter", adapter.toString(), "--text", "a bird flew",
                "--top", "3", "--out", report.toString());
        assertThat(readout.code()).as(readout.err()).isZero();
        assertThat(readout.out()).contains("most changed head: L").contains("raised most:");
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(report.resolve("lora_report.json").toFile());
        assertThat(json.get("modules")).hasSize(8);
        assertThat(json.get("modules").get(0).get("singular_values")).hasSize(4);
        assertThat(json.get("heads")).hasSize(4);
        assertThat(json.get("raised")).hasSize(3);
        assertThat(Files.readString(report.resolve("lora_report.html"))).contains("<h2>Heads whose circuits changed most</h2>");

        MainTest.Result missing = run("logits", "--model", base.toString(), "--adapter", dir.resolve("nope").toString(), "--ids", ids);
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err().strip()).contains("adapter directory").doesNotContain("\n").doesNotContain("Exception");
        MainTest.Result again = run("merge", "--model", base.toString(), "--adapter", adapter.toString(), "--out", merged.toString());
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains("is not an empty directory");
        assertThat(run(finetune(dir.resolve("bad"), "--lora-r", "0")).code()).isEqualTo(2);
        assertThat(run(finetune(dir.resolve("bad2"), "--target-modules", "q_proj")).code()).isEqualTo(2);
    }
}
