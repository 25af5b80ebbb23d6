package dev.loupe.cli.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.MainTest;
import dev.loupe.train.Checkpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static dev.loupe.cli.MainTest.run;
import static dev.loupe.cli.train.TrainCommandTest.TEXT;
import static dev.loupe.cli.train.TrainCommandTest.args;
import static org.assertj.core.api.Assertions.assertThat;

/** Issue 20, item 1: resuming compares values, keeps the log free of repeated steps and keeps the schedule. */
class TrainResumeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static List<JsonNode> lines(Path log) throws Exception {
        List<JsonNode> l = new ArrayList<>();
        for (String line : Files.readAllLines(log)) l.add(JSON.readTree(line));
        return l;
    }

    static List<Long> trainingSteps(Path log) throws Exception {
        return lines(log).stream().filter(n -> n.has("loss")).map(n -> n.get("step").asLong()).toList();
    }

    @Test
    void theSameCommandAgainResumesAndOnlyARealChangeIsRefused(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("cats.txt"), TEXT);
        Path out = dir.resolve("run");
        // every option spelled out, at the values of the run: the command that used to be refused
        String[] command = args("--data", text.toString(), "--out", out.toString(), "--tokenizer", "char", "--steps", "5",
                "--seed", "1337", "--weight-decay", "0.1", "--loader", "random");
        MainTest.Result first = run(command);
        assertThat(first.code()).as(first.err()).isZero();
        MainTest.Result again = run(command);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.err()).contains("nothing to do: the run already has 5 steps");

        List<String> longer = new ArrayList<>(List.of(command));
        longer.set(longer.indexOf("5"), "7");
        MainTest.Result extended = run(longer.toArray(String[]::new));
        assertThat(extended.code()).as(extended.err()).isZero();
        assertThat(extended.err()).contains("resuming").contains("from step 5 of 7");

        MainTest.Result changed = run("train", "--data", text.toString(), "--out", out.toString(), "--lr", "2e-2");
        assertThat(changed.code()).isEqualTo(2);
        assertThat(changed.err()).contains("--lr cannot change on resume").contains("has --lr 0.01")
                .contains("the command line gives 0.02");
        MainTest.Result tokenizer = run("train", "--data", text.toString(), "--out", out.toString(), "--tokenizer", "gpt2");
        assertThat(tokenizer.code()).isEqualTo(2);
        assertThat(tokenizer.err()).contains("has --tokenizer char, the command line gives gpt2");
    }

    /**
     * A crash between checkpoints: steps 5 and 6 were logged, but the last checkpoint is step 4. The
     * resumed run trains 5 and 6 again; the log must hold every step once, with the losses of an
     * uninterrupted run.
     */
    @Test
    void aCrashBetweenCheckpointsLeavesEachStepOnceInTheLog(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("cats.txt"), TEXT);
        Path straightLog = dir.resolve("straight.jsonl");
        assertThat(run(args("--data", text.toString(), "--out", dir.resolve("straight").toString(), "--steps", "8",
                "--log-json", straightLog.toString())).code()).isZero();

        Path out = dir.resolve("run"), log = dir.resolve("run.jsonl");
        assertThat(run(args("--data", text.toString(), "--out", out.toString(), "--steps", "4", "--log-json", log.toString())).code())
                .isZero();
        Path atStep4 = dir.resolve("copy-at-step-4");
        copyTree(out, atStep4);
        assertThat(run(args("--data", text.toString(), "--out", out.toString(), "--steps", "6", "--log-json", log.toString())).code())
                .isZero();
        // the process dies after logging step 6 but before its checkpoint: the directory is as it was at step 4;
        // the lines of steps 5 and 6, the sample at 6 and the whole-set figure at 6 must go, and the torn line
        deleteTree(out);
        copyTree(atStep4, out);
        Files.writeString(log, "{\"step\": 7, \"lo", java.nio.file.StandardOpenOption.APPEND); // a torn last line

        MainTest.Result resumed = run(args("--data", text.toString(), "--out", out.toString(), "--steps", "8",
                "--log-json", log.toString()));
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.err()).contains("removed 5 lines logged after the checkpoint of step 4");
        assertThat(trainingSteps(log)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
        assertThat(TrainCommandTest.losses(log)).containsExactlyElementsOf(TrainCommandTest.losses(straightLog));
    }

    @Test
    void extendingACosineRunKeepsItsSchedule(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("cats.txt"), TEXT);
        Path out = dir.resolve("run"), log = dir.resolve("run.jsonl");
        List<String> a = new ArrayList<>(List.of(args("--data", text.toString(), "--out", out.toString(), "--steps", "6",
                "--log-json", log.toString(), "--min-lr", "1e-3")));
        a.set(a.indexOf("constant"), "cosine");
        MainTest.Result first = run(a.toArray(String[]::new));
        assertThat(first.code()).as(first.err()).isZero();
        MainTest.Result more = run("train", "--data", text.toString(), "--out", out.toString(), "--steps", "9",
                "--log-json", log.toString());
        assertThat(more.code()).as(more.err()).isZero();
        assertThat(more.err()).contains("schedule of the original 6 steps is kept: steps 7 to 9 run at the floor");
        List<JsonNode> steps = lines(log).stream().filter(n -> n.has("lr")).toList();
        assertThat(steps).hasSize(9);
        double before = steps.get(5).get("lr").asDouble();
        assertThat(before).isGreaterThan(1e-3); // the planned cosine had not yet reached the floor at step 6
        for (int i = 6; i < 9; i++) assertThat(steps.get(i).get("lr").asDouble()).isEqualTo(1e-3);
        Checkpoints.Saved saved = new Checkpoints(out).loadLatest().orElseThrow();
        assertThat(saved.settings().schedule().steps()).isEqualTo(6);
        assertThat(saved.settings().steps()).isEqualTo(9);
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static void deleteTree(Path p) throws Exception {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
