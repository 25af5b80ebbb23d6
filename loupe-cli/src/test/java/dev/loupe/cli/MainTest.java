package dev.loupe.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The CLI's contract: exit codes 0 / 2 / 1, one clear line on stderr, no stack traces. */
public class MainTest {

    public record Result(int code, String out, String err) {}

    public static Result run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void helpListsCommandsAndSucceeds() {
        Result r = run("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Usage: loupe").contains("Commands:");
    }

    @Test
    void everyCommandHasItsOwnHelp() {
        picocli.CommandLine cli = new picocli.CommandLine(new Main());
        for (String name : cli.getSubcommands().keySet()) {
            if (name.equals("help")) continue;
            Result r = run(name, "--help");
            assertThat(r.code()).as("loupe %s --help", name).isZero();
            assertThat(r.out()).as("loupe %s --help", name).contains("Usage: loupe " + name);
            String description = String.join(" ", cli.getSubcommands().get(name).getCommandSpec().usageMessage().description());
            assertThat(description).as("one-line description of %s", name).isNotBlank();
        }
    }

    @Test
    void unknownCommandIsBadUsage() {
        Result r = run("no-such-command");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("no-such-command").doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void missingCommandIsBadUsageAndShowsTheList() {
        Result r = run();
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Missing command").contains("Commands:");
    }

    @Test
    void unknownOptionIsBadUsage() {
        Result r = run("--no-such-option");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).doesNotContain("\tat ");
    }

    @Test
    void debugNamesTheMatmulBackend() {
        Result r = run("--debug", "size", "--preset", "gpt2");
        assertThat(r.code()).isZero();
        assertThat(r.err()).contains("matmul backend");
    }

    @Test
    void userMistakeIsOneLineWithoutStackTrace(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        Result r = run("logits", "--model", dir.resolve("missing").toString(), "--ids", "1,2");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception");
    }

    @Test
    void versionNamesJava() {
        Result r = run("--version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("loupe").contains("Java");
    }
}
