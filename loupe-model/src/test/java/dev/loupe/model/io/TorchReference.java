package dev.loupe.model.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Runs the repository's PyTorch reference ({@code reference/torch_gpt.py}) with a Python that has
 * torch and numpy ({@code $LOUPE_PYTHON}, else {@code /usr/bin/python3}), for tests that compare
 * Loupe's numbers with PyTorch's.
 *
 * <p>Use {@link #assumeAvailable()} at the start of a test: without torch the test is skipped with
 * the reason "torch absent: skipped". torch needs ~1.5 s to start, so ask many questions in one
 * {@link #runJobs} call where possible.
 */
public final class TorchReference {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static volatile String unavailable; // null = not checked yet; "" = available
    private static Path python;
    private static Path script;

    private TorchReference() {}

    /** Skips the calling test (JUnit assumption) when torch or the script cannot be found. */
    public static void assumeAvailable() {
        String why = check();
        Assumptions.assumeTrue(why.isEmpty(), why);
    }

    /** Whether torch and the script are available (checked once per JVM). */
    public static boolean available() {
        return check().isEmpty();
    }

    private static synchronized String check() {
        if (unavailable != null) return unavailable;
        String env = System.getenv("LOUPE_PYTHON");
        python = Path.of(env != null && !env.isBlank() ? env : "/usr/bin/python3");
        script = findScript();
        if (script == null) {
            unavailable = "torch reference skipped: reference/torch_gpt.py not found above " + Path.of("").toAbsolutePath();
        } else if (!Files.isExecutable(python)) {
            unavailable = "torch absent: skipped (no " + python + "; set LOUPE_PYTHON to a python with torch and numpy)";
        } else {
            try {
                Result r = exec(List.of(python.toString(), "-c", "import torch, numpy"), 120);
                unavailable = r.exit == 0 ? "" : "torch absent: skipped (" + python + " cannot import torch and numpy)";
            } catch (IOException e) {
                unavailable = "torch absent: skipped (" + e.getMessage() + ")";
            }
        }
        return unavailable;
    }

    private static Path findScript() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path s = d.resolve("reference/torch_gpt.py");
            if (Files.isRegularFile(s)) return s;
        }
        return null;
    }

    /** Runs one command of the script (e.g. {@code "loss", "--model", dir, ...}) and returns its JSON. */
    public static JsonNode run(String... args) {
        List<String> cmd = new ArrayList<>(List.of(python.toString(), script.toString()));
        cmd.addAll(Arrays.asList(args));
        return parse(cmd, 600);
    }

    /** Runs many commands in one Python process; returns their results in order. */
    public static List<JsonNode> runJobs(List<List<String>> jobs, Path workDir) {
        try {
            Path file = Files.createTempFile(workDir, "torch-jobs", ".json");
            JSON.writeValue(file.toFile(), jobs);
            JsonNode all = parse(List.of(python.toString(), script.toString(), "jobs", file.toString()), 1200);
            List<JsonNode> out = new ArrayList<>();
            all.forEach(out::add);
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The argument list of a {@code logits} job writing {@code out} (read it with {@link dev.loupe.tensor.io.Npy}). */
    public static List<String> logitsJob(Path modelDir, int[] ids, Path outNpy) {
        return List.of("logits", "--model", modelDir.toString(), "--ids", join(ids), "--out", outNpy.toString());
    }

    /**
     * The argument list of a {@code grads} job: one forward/backward on sequential batch 0 of the
     * token stream {@code tokens} (needs ≥ batch·seq + 1 tokens); gradients go to {@code outSafetensors}
     * (read them with {@link Safetensors#read}); the job's JSON holds {@code "loss"}.
     */
    public static List<String> gradsJob(Path modelDir, int[] tokens, int batch, int seq, Path outSafetensors) {
        return List.of("grads", "--model", modelDir.toString(), "--ids", join(tokens), "--batch", "" + batch,
                "--seq", "" + seq, "--out", outSafetensors.toString());
    }

    /** Logits [T, V] of one sequence. */
    public static Tensor logits(Path modelDir, int[] ids, Path workDir) {
        Path out = workDir.resolve("torch-logits-" + System.nanoTime() + ".npy");
        run(logitsJob(modelDir, ids, out).toArray(String[]::new));
        return dev.loupe.tensor.io.Npy.read(out);
    }

    /** JSON of an N-step AdamW run: {@code losses}, {@code lrs}, {@code grad_norms}; {@code flags} as in the script. */
    public static JsonNode train(Path modelDir, int[] tokens, int batch, int seq, int steps, String... flags) {
        List<String> args = new ArrayList<>(List.of("train", "--model", modelDir.toString(), "--ids", join(tokens),
                "--batch", "" + batch, "--seq", "" + seq, "--steps", "" + steps));
        args.addAll(Arrays.asList(flags));
        return run(args.toArray(String[]::new));
    }

    static String join(int[] ids) {
        return Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    private record Result(int exit, String out, String err) {}

    private static JsonNode parse(List<String> cmd, int timeoutSeconds) {
        if (!available()) throw new IllegalStateException(unavailable);
        try {
            Result r = exec(cmd, timeoutSeconds);
            if (r.exit != 0) {
                throw new IllegalStateException("torch reference failed (exit " + r.exit + "): " + String.join(" ", cmd)
                        + "\n" + r.err);
            }
            return JSON.readTree(r.out);
        } catch (IOException e) {
            throw new IllegalStateException("torch reference failed: " + e.getMessage(), e);
        }
    }

    private static Result exec(List<String> cmd, int timeoutSeconds) throws IOException {
        Path err = Files.createTempFile("torch-ref", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out after " + timeoutSeconds + " s: " + String.join(" ", cmd));
            }
            return new Result(p.exitValue(), out, Files.readString(err));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
