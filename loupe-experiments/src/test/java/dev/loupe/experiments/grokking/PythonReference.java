package dev.loupe.experiments.grokking;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a script of {@code reference/} with /usr/bin/python3 (or $LOUPE_PYTHON); skips the test without torch and numpy. */
final class PythonReference {
    private static String unavailable;
    private static Path python, dir;

    private PythonReference() {}

    static synchronized void assumeAvailable() {
        if (unavailable == null) {
            String env = System.getenv("LOUPE_PYTHON");
            python = Path.of(env != null && !env.isBlank() ? env : "/usr/bin/python3");
            for (Path d = Path.of("").toAbsolutePath(); d != null && dir == null; d = d.getParent()) {
                if (Files.isRegularFile(d.resolve("reference/torch_gpt.py"))) dir = d.resolve("reference");
            }
            if (dir == null) unavailable = "reference/ not found: skipped";
            else if (!Files.isExecutable(python)) unavailable = "torch absent: skipped (no " + python + ")";
            else unavailable = exec(List.of(python.toString(), "-c", "import torch, numpy")).exit == 0 ? ""
                    : "torch absent: skipped (" + python + " cannot import torch and numpy)";
        }
        Assumptions.assumeTrue(unavailable.isEmpty(), unavailable);
    }

    static JsonNode run(String script, String... args) {
        List<String> cmd = new ArrayList<>(List.of(python.toString(), dir.resolve(script).toString()));
        cmd.addAll(Arrays.asList(args));
        Result r = exec(cmd);
        if (r.exit != 0) throw new AssertionError(script + " failed: " + r.err);
        try {
            return new ObjectMapper().readTree(r.out);
        } catch (IOException e) {
            throw new AssertionError(script + " printed no JSON: " + r.out, e);
        }
    }

    private record Result(int exit, String out, String err) {}

    private static Result exec(List<String> cmd) {
        try {
            Path err = Files.createTempFile("loupe-python", ".err");
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(600, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + cmd);
            }
            String e = Files.readString(err);
            Files.delete(err);
            return new Result(p.exitValue(), out, e);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
