package dev.loupe.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loupe.cli.size.MeasuredRate;
import dev.loupe.tensor.io.AtomicFiles;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.cli.UsageException;
import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.matmul.Backends;
import dev.loupe.tensor.matmul.MatmulBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code loupe bench kernels}: GFLOPS of each matmul backend on GPT-2's product shapes, memory read
 * bandwidth, and PyTorch on the same shapes in the same run, as ratios.
 */
@Command(name = "kernels",
        mixinStandardHelpOptions = true,
        description = {"Measure matrix multiplication (GFLOPS) on GPT-2's product shapes for each backend "
                + "(pure-Java Vector API, BLAS), memory read bandwidth (GB/s), and PyTorch on the same shapes "
                + "in the same run when /usr/bin/python3 has torch. Figures are medians after a JIT warm-up; "
                + "on a shared machine compare the ratios, not the absolute numbers."},
        footer = {"%nShapes are M×K×N (A[M,K]·B[K,N]). Examples:",
                "  loupe bench kernels",
                "  loupe bench kernels --backend java --repeat 9 --no-peer",
                "  loupe bench kernels --json > kernels.json"})
public final class KernelsCommand implements Runnable {

    @Option(names = "--backend", defaultValue = "all", paramLabel = "java|blas|all",
            description = "Backend(s) to measure (default: ${DEFAULT-VALUE}, i.e. every one available here).")
    String backend;

    @Option(names = "--repeat", defaultValue = "5", paramLabel = "N",
            description = "Timed batches per figure; the median is reported (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Option(names = "--no-peer", description = "Skip the PyTorch peer.")
    boolean noPeer;

    @Override
    public void run() {
        if (repeat < 1) throw new UsageException("--repeat must be at least 1, got " + repeat);
        List<MatmulBackend> backends = switch (backend.toLowerCase(Locale.ROOT)) {
            case "all" -> Backends.available();
            case "java", "blas" -> List.of(Backends.byName(backend));
            default -> throw new UsageException("--backend must be java, blas or all, got '" + backend + "'");
        };
        PrintStream err = System.err;
        List<KernelBench.Shape> shapes = KernelBench.SHAPES;
        Map<String, Map<KernelBench.Shape, Double>> gflops = new LinkedHashMap<>();
        for (MatmulBackend b : backends) {
            gflops.put(b.name(), new LinkedHashMap<>());
            err.println("bench: " + Backends.describe(b));
        }
        int step = 0, steps = shapes.size() * backends.size();
        for (KernelBench.Shape s : shapes) {
            for (MatmulBackend b : backends) {
                err.printf("bench: %s %s (%d/%d)%n", b.name(), s.label(), ++step, steps);
                gflops.get(b.name()).put(s, KernelBench.matmulGflops(b, s, repeat));
            }
        }
        err.println("bench: memory read bandwidth");
        double bandwidth = KernelBench.readBandwidthGbs(repeat);
        TorchPeer.Result peer = noPeer ? null : TorchPeer.run(shapes, Parallel.threads(), repeat);
        ObjectNode report = toJson(backends, gflops, bandwidth, peer);
        if (json) System.out.println(report.toPrettyString());
        else printTable(backends, gflops, bandwidth, peer);
        saveForSize(report);
    }

    private void printTable(List<MatmulBackend> backends, Map<String, Map<KernelBench.Shape, Double>> gflops,
                            double bandwidth, TorchPeer.Result peer) {
        PrintStream out = System.out;
        boolean withPeer = peer != null && peer.present();
        out.printf("Matrix multiplication, GFLOPS (median of %d; %d threads; a shared machine makes figures noisy)%n",
                repeat, Parallel.threads());
        for (MatmulBackend b : backends) out.println("  " + Backends.describe(b));
        if (withPeer) out.printf("  torch %s, %d threads%n", peer.version(), peer.threads());
        out.println("  " + PeerEnvironment.kernelsLine());
        List<String> cols = new ArrayList<>();
        for (MatmulBackend b : backends) cols.add(b.name());
        if (withPeer) cols.add("torch");
        boolean javaVsBlas = gflops.containsKey("java") && gflops.containsKey("blas");
        StringBuilder head = new StringBuilder(String.format("%-16s", "M×K×N"));
        for (String c : cols) head.append(String.format("%9s", c));
        if (javaVsBlas) head.append(String.format("%11s", "java/blas"));
        if (withPeer) for (MatmulBackend b : backends) head.append(String.format("%12s", b.name() + "/torch"));
        out.println(head);
        for (KernelBench.Shape s : KernelBench.SHAPES) {
            StringBuilder row = new StringBuilder(String.format("%-16s", s.label()));
            for (MatmulBackend b : backends) row.append(String.format("%9.1f", gflops.get(b.name()).get(s)));
            Double t = withPeer ? peer.gflops().get(s) : null;
            if (withPeer) row.append(t == null ? String.format("%9s", "-") : String.format("%9.1f", t));
            if (javaVsBlas) row.append(String.format("%11.2f", gflops.get("java").get(s) / gflops.get("blas").get(s)));
            if (withPeer) {
                for (MatmulBackend b : backends) {
                    row.append(t == null ? String.format("%12s", "-") : String.format("%12.2f", gflops.get(b.name()).get(s) / t));
                }
            }
            out.println(row);
        }
        out.printf("Memory read bandwidth: %.1f GB/s (%d threads)%n", bandwidth, Parallel.threads());
        if (peer != null && !peer.present()) out.println("No peer: " + peer.absent() + "; Loupe's figures alone.");
    }

    /** Keeps the result where 'loupe size' finds this machine's matmul rate; failing to save is only a warning. */
    private static void saveForSize(ObjectNode report) {
        try {
            AtomicFiles.writeString(MeasuredRate.file(), report.toPrettyString());
        } catch (RuntimeException e) {
            System.err.println("bench: could not save the result for 'loupe size' (" + e.getMessage() + ")");
        }
    }

    private ObjectNode toJson(List<MatmulBackend> backends, Map<String, Map<KernelBench.Shape, Double>> gflops,
                           double bandwidth, TorchPeer.Result peer) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("threads", Parallel.threads());
        root.put("repeat", repeat);
        ArrayNode arr = root.putArray("backends");
        for (MatmulBackend b : backends) {
            ObjectNode o = arr.addObject();
            o.put("backend", b.name());
            o.put("description", Backends.describe(b));
            ArrayNode mm = o.putArray("matmul");
            for (KernelBench.Shape s : KernelBench.SHAPES) {
                ObjectNode e = mm.addObject();
                e.put("m", s.m()).put("k", s.k()).put("n", s.n()).put("gflops", round(gflops.get(b.name()).get(s)));
                Double t = peer != null && peer.present() ? peer.gflops().get(s) : null;
                if (t != null) e.put("vs_torch", round(gflops.get(b.name()).get(s) / t));
            }
            o.put("bandwidth_gbs", round(bandwidth));
        }
        if (peer == null) {
            root.putNull("peer");
        } else if (!peer.present()) {
            root.putObject("peer").put("name", "torch").put("absent", peer.absent());
        } else {
            ObjectNode p = root.putObject("peer");
            p.put("name", "torch").put("version", peer.version()).put("threads", peer.threads());
            ArrayNode mm = p.putArray("matmul");
            peer.gflops().forEach((s, g) -> mm.addObject().put("m", s.m()).put("k", s.k()).put("n", s.n()).put("gflops", round(g)));
        }
        return root;
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
