package dev.loupe.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.LoupeException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * PyTorch as the peer measured in the same run: runs {@code bench/torch_matmul.py} (bundled in the
 * jar) with {@code /usr/bin/python3}, the same shapes and thread count (torch.set_num_threads and
 * OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, since Debian's torch keeps a separate OpenBLAS pool).
 * Its progress lines pass through to stderr.
 */
final class TorchPeer {
    static final String PYTHON = System.getenv().getOrDefault("LOUPE_PYTHON", "/usr/bin/python3");
    private static final int NO_TORCH = 3;

    /** The peer's figures, or why there are none. */
    record Result(String version, int threads, Map<KernelBench.Shape, Double> gflops, String absent) {
        boolean present() {
            return absent == null;
        }
    }

    private TorchPeer() {}

    static Result run(List<KernelBench.Shape> shapes, int threads, int repeat) {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            return absent(PYTHON + " not found (set LOUPE_PYTHON to a Python with torch)");
        }
        Path script = null;
        try {
            script = extractScript();
            String shapeArg = shapes.stream().map(KernelBench.Shape::arg).collect(Collectors.joining(","));
            ProcessBuilder pb = new ProcessBuilder(PYTHON, script.toString(), "--shapes", shapeArg,
                    "--threads", Integer.toString(threads), "--repeat", Integer.toString(repeat));
            pb.environment().put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
            pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int rc = p.waitFor();
            if (rc == NO_TORCH) return absent("torch is not installed for " + PYTHON);
            if (rc != 0) return absent("the torch peer failed (exit " + rc + ")");
            JsonNode root = new ObjectMapper().readTree(out);
            Map<KernelBench.Shape, Double> g = new LinkedHashMap<>();
            for (JsonNode e : root.get("matmul")) {
                g.put(new KernelBench.Shape(e.get("m").asInt(), e.get("k").asInt(), e.get("n").asInt()),
                        e.get("gflops").asDouble());
            }
            return new Result(root.get("version").asText(), root.get("threads").asInt(), g, null);
        } catch (IOException e) {
            return absent("the torch peer could not run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return absent("interrupted");
        } finally {
            if (script != null) {
                try {
                    Files.deleteIfExists(script);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        }
    }

    private static Result absent(String why) {
        return new Result(null, 0, Map.of(), why);
    }

    private static Path extractScript() throws IOException {
        try (InputStream in = TorchPeer.class.getResourceAsStream("/bench/torch_matmul.py")) {
            if (in == null) throw new LoupeException("bench/torch_matmul.py is missing from the loupe jar (rebuild it)");
            Path tmp = Files.createTempFile("loupe-torch-matmul", ".py");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            return tmp;
        }
    }
}
