package dev.loupe.cli.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.MainTest;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.TokenFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.loupe.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

class TrainCommandTest {
    static final String TEXT = "the cat sat on the mat. the dog sat on the log. ".repeat(40);
    static final String[] TINY = {"--layers", "1", "--d-model", "16", "--heads", "2", "--seq", "16", "--batch", "2",
            "--schedule", "constant", "--warmup", "2", "--lr", "1e-2", "--eval-every", "3", "--checkpoint-every", "4"};

    static String[] args(String... more) {
        List<String> a = new ArrayList<>(List.of("train"));
        a.addAll(List.of(TINY));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    static List<Float> losses(Path log) throws Exception {
        List<Float> l = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(log)) {
            JsonNode n = json.readTree(line);
            if (n.has("loss")) l.add(n.get("loss").floatValue());
        }
        return l;
    }

    @Test
    void trainsOnTextResumesExactlyAndEvaluates(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("cats.txt");
        Files.writeString(text, TEXT);

        Path straight = dir.resolve("straight");
        MainTest.Result a = run(args("--data", text.toString(), "--out", straight.toString(), "--steps", "10",
                "--log-json", dir.resolve("a.jsonl").toString()));
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(straight.resolve("tokenizer.json")).exists();
        assertThat(straight.resolve("loss.png")).exists();
        assertThat(straight.resolve("loss.svg")).exists();
        // a window of the training text for serve and trace to open on, within the model's context, with a span said twice
        String sample = Files.readString(straight.resolve("sample_prompt.txt"));
        assertThat(" " + TEXT).as("a window that starts a word").contains(" " + sample);
        assertThat(sample.length()).isBetween(9, ModelDirectory.read(straight).config().nPositions());   // whole words within the context
        assertThat(dev.loupe.model.io.SamplePrompt.longestRepeat(sample.chars().toArray())).isGreaterThanOrEqualTo(4);   // " the" twice
        assertThat(ModelDirectory.read(straight).config().nLayer()).isEqualTo(1);
        List<Float> expected = losses(dir.resolve("a.jsonl"));
        assertThat(expected).hasSize(10);
        assertThat(Files.readString(dir.resolve("a.jsonl"))).contains("\"val_loss\"");

        // 6 steps, then the same --out with --steps 10: resumes at 6 and must give the same 10 losses
        Path resumed = dir.resolve("resumed");
        Path log = dir.resolve("b.jsonl");
        assertThat(run(args("--data", text.toString(), "--out", resumed.toString(), "--steps", "6",
                "--log-json", log.toString())).code()).isZero();
        MainTest.Result b = run("train", "--data", text.toString(), "--out", resumed.toString(), "--steps", "10", "--log-json", log.toString());
        assertThat(b.code()).as(b.err()).isZero();
        assertThat(b.err()).contains("resuming");
        assertThat(losses(log)).containsExactlyElementsOf(expected);

        // a shape option on resume is a usage error
        MainTest.Result bad = run("train", "--data", text.toString(), "--out", resumed.toString(), "--d-model", "32");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--d-model cannot change on resume");

        MainTest.Result eval = run("eval", "--model", straight.toString(), "--data", text.toString(), "--json");
        assertThat(eval.code()).as(eval.err()).isZero();
        JsonNode r = new ObjectMapper().readTree(eval.out());
        assertThat(r.get("loss").asDouble()).isLessThan(Math.log(12)); // better than uniform over the ~12 characters
        assertThat(r.get("perplexity").asDouble()).isCloseTo(Math.exp(r.get("loss").asDouble()), org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void trainsOnTokenFilesWithTheLlmcLoader(@TempDir Path dir) throws Exception {
        int[] tokens = new int[3000];
        for (int i = 1; i < tokens.length; i++) tokens[i] = (tokens[i - 1] * 7 + 3) % 50;
        Path data = Files.createDirectories(dir.resolve("data"));
        TokenFile.write(data.resolve("toy_train.bin"), tokens, TokenFile.Format.LLMC);
        TokenFile.write(data.resolve("toy_val.bin"), java.util.Arrays.copyOf(tokens, 500), TokenFile.Format.LLMC);
        MainTest.Result r = run(args("--data", data.toString(), "--out", dir.resolve("m").toString(), "--steps", "3",
                "--loader", "sequential"));
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("1 training and 1 validation token files");
        assertThat(ModelDirectory.readConfig(dir.resolve("m")).vocabSize()).isEqualTo(50257);
        assertThat(dir.resolve("m").resolve("sample_prompt.txt")).as("token ids without a tokenizer: no text to sample").doesNotExist();
    }

    @Test
    void badInputsGiveOneClearLine(@TempDir Path dir) throws Exception {
        MainTest.Result missing = run("train", "--data", dir.resolve("nope.txt").toString(), "--out", dir.resolve("o").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err().strip()).isEqualTo("loupe: training data " + dir.resolve("nope.txt") + " does not exist");

        Path text = dir.resolve("t.txt");
        Files.writeString(text, "abc");
        MainTest.Result tooShort = run(args("--data", text.toString(), "--out", dir.resolve("o").toString()));
        assertThat(tooShort.code()).isEqualTo(1);
        assertThat(tooShort.err()).contains("--seq").doesNotContain("Exception");

        MainTest.Result badSchedule = run("train", "--data", text.toString(), "--out", dir.resolve("o").toString(), "--schedule", "linear");
        assertThat(badSchedule.code()).isEqualTo(2);
        assertThat(badSchedule.err()).contains("--schedule must be cosine or constant");
    }
}
