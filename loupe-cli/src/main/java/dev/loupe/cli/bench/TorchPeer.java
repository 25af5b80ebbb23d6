package dev.loupe.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * PyTorch as the peer measured in the same run: runs a Python script bundled in the jar (e.g.
 * {@code bench/torch_matmul.py}) with {@code /usr/bin/python3} (or {@code LOUPE_PYTHON}) at the same
 * thread count (torch.set_num_threads and OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, since Debian's
 * torch keeps a separate OpenBLAS pool). The script prints one JSON document on stdout and exits
 * with 3 when torch is missing; its progress lines pass through to stderr.
 */
public final class TorchPeer {
    static final String PYTHON = System.getenv().getOrDefault("LOUPE_PYTHON", "/usr/bin/python3");
    private static final int NO_TORCH = 3;

    /** Why there is no peer figure (no Python, no torch, the script failed): a reason to print, not an error. */
    public static final class Absent extends Exception {
        Absent(String why) {
            super(why);
        }
    }

    /** The peer's matmul figures, or why there are none. */
    record Result(String version, int threads, Map<KernelBench.Shape, Double> gflops, String absent) {
        boolean present() {
            return absent == null;
        }
    }

    private TorchPeer() {}

    /**
     * Runs the bundled script {@code resource} (a jar path such as {@code /bench/torch_generate.py})
     * with {@code --threads threads} followed by {@code args}, and returns its standard output.
     */
    public static String runScript(String resource, int threads, List<String> args) throws Absent {
        if (!Files.isExecutable(Path.of(PYTHON))) throw new Absent(PYTHON + " not found (set LOUPE_PYTHON to a Python with torch)");
        Path script = null;
        try {
            script = extract(resource);
            List<String> command = new ArrayList<>(List.of(PYTHON, script.toString(), "--threads", Integer.toString(threads)));
            command.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(command);
            PeerEnvironment.apply(pb, threads);
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            int rc = p.waitFor();
            if (rc == NO_TORCH) throw new Absent("torch is not installed for " + PYTHON);
            if (rc != 0) throw new Absent("the torch peer failed (exit " + rc + ")");
            return out;
        } catch (IOException e) {
            throw new Absent("the torch peer could not run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Absent("interrupted");
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

    /** Matmul GFLOPS for {@code shapes} from {@code bench/torch_matmul.py}. */
    static Result run(List<KernelBench.Shape> shapes, int threads, int repeat) {
        try {
            String shapeArg = shapes.stream().map(KernelBench.Shape::arg).collect(Collectors.joining(","));
            String out = runScript("/bench/torch_matmul.py", threads, List.of("--shapes", shapeArg, "--repeat", Integer.toString(repeat)));
            JsonNode root = new ObjectMapper().readTree(out);
            Map<KernelBench.Shape, Double> g = new LinkedHashMap<>();
            for (JsonNode e : root.get("matmul")) {
                g.put(new KernelBench.Shape(e.get("m").asInt(), e.get("k").asInt(), e.get("n").asInt()),
                        e.get("gflops").asDouble());
            }
            return new Result(root.get("version").asText(), root.get("threads").asInt(), g, null);
        } catch (Absent e) {
            return absent(e.getMessage());
        } catch (IOException e) {
            return absent("unreadable output from the torch peer: " + e.getMessage());
        }
    }

    private static Result absent(String why) {
        return new Result(null, 0, Map.of(), why);
    }

    private static Path extract(String resource) throws IOException, Absent {
        try (InputStream in = TorchPeer.class.getResourceAsStream(resource)) {
            if (in == null) throw new Absent(resource.substring(1) + " is missing from the loupe jar (rebuild it)");
            Path tmp = Files.createTempFile("loupe-torch-", ".py");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            return tmp;
        }
    }
}
