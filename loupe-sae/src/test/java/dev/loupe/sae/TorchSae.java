package dev.loupe.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code reference/torch_sae.py} ($LOUPE_PYTHON, else /usr/bin/python3) for tests that compare
 * loupe-sae with PyTorch; {@link #assumeAvailable()} skips the test with "torch absent: skipped"
 * when torch, numpy or the script cannot be found.
 */
final class TorchSae {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static String unavailable;
    private static Path python, script;

    private TorchSae() {}

    static synchronized void assumeAvailable() {
        if (unavailable == null) {
            String env = System.getenv("LOUPE_PYTHON");
            python = Path.of(env != null && !env.isBlank() ? env : "/usr/bin/python3");
            for (Path d = Path.of("").toAbsolutePath(); d != null && script == null; d = d.getParent()) {
                if (Files.isRegularFile(d.resolve("reference/torch_sae.py"))) script = d.resolve("reference/torch_sae.py");
            }
            if (script == null) unavailable = "torch reference skipped: reference/torch_sae.py not found";
            else if (!Files.isExecutable(python)) unavailable = "torch absent: skipped (no " + python + ")";
            else {
                try {
                    unavailable = exec(List.of(python.toString(), "-c", "import torch, numpy")).exit == 0 ? ""
                            : "torch absent: skipped (" + python + " cannot import torch and numpy)";
                } catch (IOException e) {
                    unavailable = "torch absent: skipped (" + e.getMessage() + ")";
                }
            }
        }
        Assumptions.assumeTrue(unavailable.isEmpty(), unavailable);
    }

    /** Runs the argument lists in one Python process and returns their JSON results in order. */
    static List<JsonNode> jobs(List<List<String>> jobs, Path work) throws IOException {
        Path file = work.resolve("jobs-" + System.nanoTime() + ".json");
        JSON.writeValue(file.toFile(), jobs);
        Result r = exec(List.of(python.toString(), script.toString(), "jobs", file.toString()));
        if (r.exit != 0) throw new IllegalStateException("torch_sae.py failed: " + r.err);
        List<JsonNode> out = new ArrayList<>();
        JSON.readTree(r.out).forEach(out::add);
        return out;
    }

    private record Result(int exit, String out, String err) {}

    private static Result exec(List<String> cmd) throws IOException {
        Path out = Files.createTempFile("torch-sae", ".out"), err = Files.createTempFile("torch-sae", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(1200, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + cmd);
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
