package dev.loupe.sae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.LoupeException;
import dev.loupe.model.io.Safetensors;
import dev.loupe.model.io.SafetensorsFile;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * SAE training checkpoints in an output directory, crash-safe like {@code loupe train}'s:
 * <pre>
 *   DIR/cfg.json, sae_weights.safetensors, sparsity.safetensors   the latest SAE (SAELens layout, folded)
 *   DIR/checkpoints/step-000120/
 *       training_weights.safetensors   W_enc, b_enc, W_dec, b_dec as trained (on normalised activations)
 *       optimizer.safetensors          Adam moments "m.NAME", "v.NAME"; metadata adam_step
 *       trainer_state.json             step, scale, dead-feature counters, density window, curve, settings
 * </pre>
 * A checkpoint is written into {@code checkpoints/.tmp-step-N}, renamed to {@code step-N} (a
 * {@code step-*} directory is always complete), then the SAELens files are replaced (each
 * atomically) and older checkpoints deleted.
 */
public final class SaeCheckpoints {
    public static final String DIR = "checkpoints";
    static final String WEIGHTS = "training_weights.safetensors";
    static final String OPTIMIZER = "optimizer.safetensors";
    static final String STATE = "trainer_state.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private SaeCheckpoints() {}

    /** A loaded checkpoint: the trainer state and the settings JSON it was trained with. */
    public record Loaded(Path dir, SaeTrainerState state, JsonNode settings) {}

    /** Saves {@code t}'s state with {@code settings} (free-form JSON, compared on resume) and publishes the SAE. */
    public static Path save(Path out, SaeTrainer t, JsonNode settings) {
        SaeTrainerState st = t.state();
        String name = String.format("step-%06d", st.step());
        Path root = out.resolve(DIR), tmp = root.resolve(".tmp-" + name), done = root.resolve(name);
        try {
            Files.createDirectories(root);
            deleteTree(tmp);
            Files.createDirectories(tmp);
            Safetensors.write(tmp.resolve(WEIGHTS), st.weights());
            Map<String, Tensor> moments = new LinkedHashMap<>();
            st.firstMoments().forEach((k, v) -> moments.put("m." + k, v));
            st.secondMoments().forEach((k, v) -> moments.put("v." + k, v));
            Safetensors.write(tmp.resolve(OPTIMIZER), moments, Map.of("adam_step", Long.toString(st.adamSteps())));
            AtomicFiles.writeString(tmp.resolve(STATE), stateJson(st, settings).toPrettyString());
            deleteTree(done);
            Files.move(tmp, done, StandardCopyOption.ATOMIC_MOVE);
            SaeFiles.save(t.current(), out, t.featureDensity());
            for (Path old : complete(out)) if (!old.equals(done)) deleteTree(old);
            return done;
        } catch (IOException e) {
            throw new LoupeException("cannot save the checkpoint in " + root + ": " + e.getMessage(), e);
        }
    }

    /** The newest complete checkpoint of {@code out}, if any (leftovers of interrupted saves are removed). */
    public static Optional<Loaded> loadLatest(Path out) {
        List<Path> all = complete(out);
        try (Stream<Path> s = Files.isDirectory(out.resolve(DIR)) ? Files.list(out.resolve(DIR)) : Stream.empty()) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList()) deleteTree(p);
        } catch (IOException e) {
            // nothing to clean
        }
        return all.isEmpty() ? Optional.empty() : Optional.of(load(all.getLast()));
    }

    /** Loads one checkpoint directory. */
    public static Loaded load(Path dir) {
        JsonNode j;
        try {
            j = JSON.readTree(Files.readString(dir.resolve(STATE)));
        } catch (IOException e) {
            throw new LoupeException("cannot read " + dir.resolve(STATE) + ": " + e.getMessage(), e);
        }
        Map<String, Tensor> weights = Safetensors.read(dir.resolve(WEIGHTS));
        Map<String, Tensor> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
        long adamSteps;
        try (SafetensorsFile f = Safetensors.open(dir.resolve(OPTIMIZER))) {
            for (String k : f.entries().keySet()) {
                if (k.startsWith("m.")) m.put(k.substring(2), f.read(k));
                else if (k.startsWith("v.")) v.put(k.substring(2), f.read(k));
            }
            adamSteps = Long.parseLong(f.metadata().getOrDefault("adam_step", "0"));
        }
        List<SaeTrainer.Point> history = new ArrayList<>();
        for (JsonNode p : j.get("history")) {
            history.add(new SaeTrainer.Point(p.get(0).asLong(), p.get(1).asDouble(), p.get(2).asDouble(), p.get(3).asDouble(),
                    p.get(4).asDouble(), p.get(5).asDouble()));
        }
        JsonNode ld = j.get("last_density");
        SaeTrainerState st = new SaeTrainerState(j.get("step").asLong(), (float) j.get("scale").asDouble(), weights, adamSteps,
                m, v, ints(j.get("since_fired")), ints(j.get("window_counts")), j.get("window_tokens").asLong(),
                ld == null || ld.isNull() ? null : floats(ld), history);
        return new Loaded(dir, st, j.get("settings"));
    }

    private static ObjectNode stateJson(SaeTrainerState st, JsonNode settings) {
        ObjectNode j = JSON.createObjectNode();
        j.put("format", "loupe-sae-training-state");
        j.put("step", st.step());
        j.put("scale", st.scale());
        j.put("window_tokens", st.windowTokens());
        ArrayNode since = j.putArray("since_fired");
        for (int c : st.sinceFired()) since.add(c);
        ArrayNode counts = j.putArray("window_counts");
        for (int c : st.windowCounts()) counts.add(c);
        if (st.lastDensity() == null) j.putNull("last_density");
        else {
            ArrayNode d = j.putArray("last_density");
            for (float x : st.lastDensity()) d.add(x);
        }
        ArrayNode h = j.putArray("history");
        for (SaeTrainer.Point p : st.history()) {
            h.addArray().add(p.step()).add(p.loss()).add(p.mse()).add(p.l0()).add(p.explainedVariance()).add(p.deadFraction());
        }
        j.set("settings", settings);
        return j;
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    private static float[] floats(JsonNode a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) a.get(i).asDouble();
        return out;
    }

    private static List<Path> complete(Path out) {
        Path root = out.resolve(DIR);
        if (!Files.isDirectory(root)) return List.of();
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> p.getFileName().toString().matches("step-\\d+") && Files.isRegularFile(p.resolve(STATE)))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        } catch (IOException e) {
            throw new LoupeException("cannot list " + root + ": " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
