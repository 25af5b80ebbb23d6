package dev.loupe.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.LoupeException;
import dev.loupe.model.GptConfig;
import dev.loupe.model.TrainableModel;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.model.io.Safetensors;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Training checkpoints in an output directory, crash-safe. The layout of {@code --out DIR}:
 * <pre>
 *   DIR/config.json, DIR/model.safetensors   the latest checkpoint's model (a normal model directory)
 *   DIR/checkpoints/step-000120/             the latest complete checkpoint:
 *       config.json, model.safetensors         the model
 *       optimizer.safetensors                  AdamW moments "m.NAME" and "v.NAME"
 *       trainer_state.json                     step, loader position, settings, loss history
 * </pre>
 * Saving writes a new checkpoint into {@code checkpoints/.tmp-step-N} (every file fsynced), renames
 * that directory to {@code step-N} (atomic: a {@code step-*} directory is therefore always
 * complete), then replaces {@code DIR/config.json} and {@code DIR/model.safetensors} by hard links
 * to the new files (each an atomic rename; a copy where links are not supported), and only then
 * deletes older {@code step-*} directories. A crash at any point leaves the previous checkpoint
 * intact, and {@link #latest} picks the newest complete one.
 */
public final class Checkpoints {
    public static final String DIR = "checkpoints";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String STATE = "trainer_state.json";
    static final String FORMAT = "loupe-training-state";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * How the trained model is stored in a checkpoint and published into the output directory: a
     * model directory by default ({@link #MODEL_DIRECTORY}); a LoRA run stores its adapter files.
     */
    public interface ModelFiles {
        /** Writes the model's files into {@code dir}. */
        void write(Path dir, TrainableModel model);

        /** Reads back the configuration and the trained tensors (names as in {@link TrainableModel#parameters()}). */
        ModelDirectory.LoadedModel read(Path dir);

        /** The names of the files {@link #write} creates, published into the output directory at each save. */
        List<String> names();
    }

    /** config.json + model.safetensors: the checkpoint is a complete model directory. */
    public static final ModelFiles MODEL_DIRECTORY = new ModelFiles() {
        @Override
        public void write(Path dir, TrainableModel model) {
            ModelDirectory.write(dir, model.config(), model.parameters());
        }

        @Override
        public ModelDirectory.LoadedModel read(Path dir) {
            return ModelDirectory.read(dir);
        }

        @Override
        public List<String> names() {
            return List.of(ModelDirectory.WEIGHTS, ModelDirectory.CONFIG);
        }
    };

    /** Called at the named points of a save ("model", "optimizer", "state", "commit", "publish"); tests inject failures here. */
    @FunctionalInterface
    interface Stage {
        void reached(String stage);
    }

    private final Path out;
    private final Stage stage;
    private final ModelFiles files;

    public Checkpoints(Path out) {
        this(out, MODEL_DIRECTORY);
    }

    /** Checkpoints whose model is stored as {@code files} says. */
    public Checkpoints(Path out, ModelFiles files) {
        this(out, s -> {}, files);
    }

    Checkpoints(Path out, Stage stage) {
        this(out, stage, MODEL_DIRECTORY);
    }

    private Checkpoints(Path out, Stage stage, ModelFiles files) {
        this.out = out;
        this.stage = stage;
        this.files = files;
    }

    public Path out() { return out; }

    /** What a checkpoint holds, loaded. */
    public record Saved(Path dir, GptConfig config, Map<String, Tensor> weights, long step, long loaderPosition,
                        long adamSteps, Map<String, Tensor> m, Map<String, Tensor> v, TrainingSettings settings,
                        TrainingHistory history, JsonNode extra) {}

    /**
     * Saves the trainer's complete state.
     *
     * @param extra free-form JSON stored with it (the CLI keeps the data source and tokenizer here)
     */
    public Path save(Trainer trainer, JsonNode extra) {
        long step = trainer.step();
        String name = String.format("step-%06d", step);
        Path root = out.resolve(DIR);
        Path tmp = root.resolve(".tmp-" + name);
        Path done = root.resolve(name);
        try {
            Files.createDirectories(root);
            deleteTree(tmp);
            Files.createDirectories(tmp);
            files.write(tmp, trainer.model());
            stage.reached("model");
            Map<String, Tensor> moments = new LinkedHashMap<>();
            trainer.optimizer().firstMoments().forEach((k, t) -> moments.put("m." + k, t));
            trainer.optimizer().secondMoments().forEach((k, t) -> moments.put("v." + k, t));
            Safetensors.write(tmp.resolve(OPTIMIZER), moments, Map.of("adam_step", Long.toString(trainer.optimizer().stepCount())));
            stage.reached("optimizer");
            AtomicFiles.writeString(tmp.resolve(STATE), stateJson(trainer, extra).toPrettyString());
            stage.reached("state");
            fsyncDirectory(tmp);
            deleteTree(done); // only exists if this very step was saved before (e.g. a re-run)
            Files.move(tmp, done, StandardCopyOption.ATOMIC_MOVE);
            fsyncDirectory(root);
            stage.reached("commit");
            for (String f : files.names()) publish(done.resolve(f), out.resolve(f));
            fsyncDirectory(out);
            stage.reached("publish");
            for (Path old : completeCheckpoints()) {
                if (!old.equals(done)) deleteTree(old);
            }
            return done;
        } catch (IOException e) {
            throw new LoupeException("cannot save the checkpoint in " + root + ": " + e.getMessage(), e);
        }
    }

    /** The newest complete checkpoint in the output directory, if any. */
    public Optional<Path> latest() {
        List<Path> all = completeCheckpoints();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.getLast());
    }

    /** Loads the newest complete checkpoint (and removes leftovers of interrupted saves). */
    public Optional<Saved> loadLatest() {
        Optional<Path> dir = latest();
        try (Stream<Path> s = Files.list(out.resolve(DIR))) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList()) deleteTree(p);
        } catch (IOException e) {
            // nothing to clean up
        }
        return dir.map(d -> load(d, files));
    }

    /** Loads one checkpoint directory of a model-directory run. */
    public static Saved load(Path dir) {
        return load(dir, MODEL_DIRECTORY);
    }

    /** Loads one checkpoint directory whose model is stored as {@code files} says. */
    public static Saved load(Path dir, ModelFiles files) {
        ModelDirectory.LoadedModel model = files.read(dir);
        Path stateFile = dir.resolve(STATE);
        JsonNode s;
        try {
            s = JSON.readTree(stateFile.toFile());
        } catch (IOException e) {
            throw new LoupeException("cannot read " + stateFile + ": " + e.getMessage(), e);
        }
        if (s == null || !FORMAT.equals(s.path("format").asText())) {
            throw new LoupeException(stateFile + ": not a Loupe training state (expected \"format\": \"" + FORMAT + "\")");
        }
        Map<String, Tensor> moments = Safetensors.read(dir.resolve(OPTIMIZER));
        Map<String, Tensor> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
        moments.forEach((k, t) -> {
            if (k.startsWith("m.")) m.put(k.substring(2), t);
            else if (k.startsWith("v.")) v.put(k.substring(2), t);
        });
        TrainingHistory h = new TrainingHistory();
        for (JsonNode p : s.path("history").path("steps")) {
            h.steps().add(new TrainingHistory.StepPoint(p.get(0).asLong(), p.get(1).floatValue(), p.get(2).asDouble()));
        }
        for (JsonNode p : s.path("history").path("evals")) {
            h.evals().add(new TrainingHistory.EvalPoint(p.get(0).asLong(), p.get(1).asDouble()));
        }
        try {
            return new Saved(dir, model.config(), model.weights(), need(s, "step", stateFile).asLong(),
                    need(s.path("loader"), "position", stateFile).asLong(), need(s, "adam_step", stateFile).asLong(),
                    m, v, settingsFromJson(need(s, "settings", stateFile)), h, s.path("extra"));
        } catch (IllegalArgumentException e) {
            throw new LoupeException(stateFile + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode need(JsonNode n, String field, Path file) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) throw new LoupeException(file + ": missing field \"" + field + "\"");
        return v;
    }

    private List<Path> completeCheckpoints() {
        Path root = out.resolve(DIR);
        if (!Files.isDirectory(root)) return List.of();
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> p.getFileName().toString().matches("step-\\d+") && Files.isRegularFile(p.resolve(STATE)))
                    .sorted(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring(5))))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ state JSON

    static ObjectNode stateJson(Trainer t, JsonNode extra) {
        ObjectNode s = JSON.createObjectNode();
        s.put("format", FORMAT);
        s.put("version", 1);
        s.put("step", t.step());
        s.put("adam_step", t.optimizer().stepCount());
        ObjectNode loader = s.putObject("loader");
        loader.put("kind", t.loader().kind());
        loader.put("position", t.loader().position());
        s.put("threads", dev.loupe.tensor.Parallel.threads());
        s.set("settings", settingsToJson(t.settings()));
        if (extra != null) s.set("extra", extra);
        ObjectNode h = s.putObject("history");
        ArrayNode steps = h.putArray("steps");
        for (TrainingHistory.StepPoint p : t.history().steps()) steps.addArray().add(p.step()).add(p.loss()).add(p.lr());
        ArrayNode evals = h.putArray("evals");
        for (TrainingHistory.EvalPoint p : t.history().evals()) evals.addArray().add(p.step()).add(p.loss());
        return s;
    }

    /** The settings as JSON with the command line's names (snake_case). */
    public static ObjectNode settingsToJson(TrainingSettings x) {
        ObjectNode n = JSON.createObjectNode();
        n.put("batch", x.batch());
        n.put("seq", x.seqLen());
        n.put("steps", x.steps());
        n.put("lr", x.schedule().lr());
        n.put("min_lr", x.schedule().minLr());
        n.put("warmup", x.schedule().warmup());
        n.put("schedule", x.schedule().kind().name().toLowerCase());
        n.put("schedule_steps", x.schedule().steps());
        n.put("beta1", x.adam().beta1());
        n.put("beta2", x.adam().beta2());
        n.put("eps", x.adam().eps());
        n.put("weight_decay", x.adam().weightDecay());
        n.put("decay_all", x.adam().decayAll());
        n.put("grad_clip", x.gradClip());
        n.put("loader", x.loader());
        n.put("seed", x.seed());
        n.put("eval_every", x.evalEvery());
        n.put("eval_batches", x.evalBatches());
        n.put("checkpoint_every", x.checkpointEvery());
        return n;
    }

    /**
     * Reads {@link #settingsToJson}. States written before the schedule had its own length
     * ({@code schedule_steps}) used {@code steps} for it; before {@code decay_all}, no run decayed all.
     */
    static TrainingSettings settingsFromJson(JsonNode n) {
        int steps = n.path("steps").asInt();
        LrSchedule schedule = new LrSchedule(n.path("lr").asDouble(), n.path("min_lr").asDouble(), n.path("warmup").asInt(),
                n.path("schedule_steps").asInt(steps), LrSchedule.Kind.valueOf(n.path("schedule").asText("cosine").toUpperCase()));
        AdamW.Settings adam = new AdamW.Settings(n.path("beta1").asDouble(), n.path("beta2").asDouble(),
                n.path("eps").asDouble(), n.path("weight_decay").asDouble(), n.path("decay_all").asBoolean(false));
        return new TrainingSettings(n.path("batch").asInt(), n.path("seq").asInt(), steps, schedule, adam,
                n.path("grad_clip").asDouble(), n.path("loader").asText(), n.path("seed").asLong(),
                n.path("eval_every").asInt(), n.path("eval_batches").asInt(), n.path("checkpoint_every").asInt());
    }

    // ------------------------------------------------------------------ files

    /** Makes {@code target} the file {@code source} (hard link, or copy), replacing it atomically. */
    private static void publish(Path source, Path target) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".publish");
        Files.deleteIfExists(tmp);
        try {
            Files.createLink(tmp, source);
        } catch (UnsupportedOperationException | IOException e) {
            if (e instanceof FileAlreadyExistsException) throw (IOException) e;
            Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some platforms cannot open or sync directories; the renames are still ordered
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
