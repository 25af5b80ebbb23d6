package dev.loupe.cli.train;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.LoupeException;
import dev.loupe.cli.ModelRef;
import dev.loupe.cli.UsageException;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tensor.Parallel;
import dev.loupe.tokens.Tokenizer;
import dev.loupe.tokens.Tokenizers;
import dev.loupe.train.AdamW;
import dev.loupe.train.Checkpoints;
import dev.loupe.train.LrSchedule;
import dev.loupe.train.Trainer;
import dev.loupe.train.TrainingSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code loupe train}: trains a GPT on text or token files, with checkpoints, resume and a loss curve. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Train a GPT-style model: next-token cross-entropy, AdamW (decoupled weight decay on",
                "weight matrices and embeddings only), warm-up + cosine or constant learning rate and",
                "global-norm gradient clipping.",
                "",
                "--data is UTF-8 text, an llm.c or nanoGPT .bin token file, or a directory of .bin files",
                "(names containing 'val' are validation data). Without validation data the last 10%% of the",
                "tokens are held out. Text is tokenized with --tokenizer: char (tokenizer.json), gpt2 or",
                "bpe:N (vocab.json + merges.txt); the tokenizer is saved beside the model and reused on resume.",
                "",
                "--out DIR becomes a model directory (config.json + model.safetensors, usable by every",
                "command) with checkpoints/ (optimizer state, data position, loss history) and loss.png /",
                "loss.svg. Running again with the same --out resumes from the last checkpoint, giving",
                "exactly the losses of an uninterrupted run (same thread count); a larger --steps extends it.",
                ""},
        footer = {"", "Examples:",
                "  loupe train --data shakespeare.txt --out runs/shake --steps 2000",
                "  loupe train --data shakespeare.txt --out runs/bpe --tokenizer bpe:4096",
                "  loupe train --data shakespeare.txt --out runs/ft --init gpt2 --steps 200 --lr 1e-4",
                "  loupe train --data shakespeare.txt --out runs/ao --layers 2 --attn-only --log-json runs/ao.jsonl",
                "  loupe train --data tinyshakespeare/ --out runs/tok --loader sequential --batch 4 --seq 64"})
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, paramLabel = "FILE|DIR", description = "Training text, .bin token file, or directory of .bin files.")
    Path data;
    @Option(names = "--val-data", paramLabel = "FILE", description = "Validation text or .bin file (default: the last 10%% of --data).")
    Path valData;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output model directory; resumed when it holds a checkpoint.")
    Path out;
    @Option(names = "--init", paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "Start from this model's weights (and tokenizer) instead of random ones: a model directory or a "
                    + "hub name fetched with 'loupe fetch' (gpt2).")
    ModelRef init;

    // model shape (new models only)
    @Option(names = "--layers", defaultValue = "2", description = "Number of blocks (default: ${DEFAULT-VALUE}).")
    int layers;
    @Option(names = "--d-model", defaultValue = "128", description = "Residual stream width (default: ${DEFAULT-VALUE}).")
    int dModel;
    @Option(names = "--heads", defaultValue = "4", description = "Attention heads per layer (default: ${DEFAULT-VALUE}).")
    int heads;
    @Option(names = "--d-mlp", description = "MLP hidden width (default: 4 × d-model).")
    Integer dMlp;
    @Option(names = "--attn-only", description = "No MLPs: an attention-only transformer.")
    boolean attnOnly;
    @Option(names = "--norm", defaultValue = "pre", description = "LayerNorm placement: pre|post (default: ${DEFAULT-VALUE}).")
    String norm;
    @Option(names = "--positional", defaultValue = "learned", description = "Positions: learned|sinusoidal|none (default: ${DEFAULT-VALUE}).")
    String positional;
    @Option(names = "--mlp", defaultValue = "gelu", description = "MLP non-linearity: gelu|relu|swiglu (default: ${DEFAULT-VALUE}).")
    String mlp;
    @Option(names = "--tokenizer", defaultValue = "char", paramLabel = "char|gpt2|bpe:N",
            description = "Tokenizer of a new model: char (one token per character), gpt2 (GPT-2's 50,257-token BPE), "
                    + "bpe:N (a byte-level BPE of N ≥ 257 tokens learned from --data) (default: ${DEFAULT-VALUE}).")
    String tokenizer;

    // optimisation
    @Option(names = "--seq", defaultValue = "64", description = "Context length T of each training row (default: ${DEFAULT-VALUE}).")
    int seq;
    @Option(names = "--batch", defaultValue = "8", description = "Rows per batch B (default: ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--steps", defaultValue = "500", description = "Optimizer steps of the run (default: ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr;
    @Option(names = "--min-lr", description = "Cosine floor (default: lr / 10).")
    Double minLr;
    @Option(names = "--warmup", defaultValue = "20", description = "Warm-up steps: lr·(it+1)/(warmup+1) (default: ${DEFAULT-VALUE}).")
    int warmup;
    @Option(names = "--schedule", defaultValue = "cosine", description = "After warm-up: cosine|constant (default: ${DEFAULT-VALUE}).")
    String schedule;
    @Option(names = "--weight-decay", defaultValue = "0.1", description = "AdamW decoupled weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;
    @Option(names = "--beta1", defaultValue = "0.9", description = "AdamW β₁ (default: ${DEFAULT-VALUE}).")
    double beta1;
    @Option(names = "--beta2", defaultValue = "0.95", description = "AdamW β₂ (default: ${DEFAULT-VALUE}).")
    double beta2;
    @Option(names = "--eps", defaultValue = "1e-8", description = "AdamW ε (default: ${DEFAULT-VALUE}).")
    double eps;
    @Option(names = "--grad-clip", defaultValue = "1.0", description = "Max global gradient norm, 0 = off (default: ${DEFAULT-VALUE}).")
    double gradClip;
    @Option(names = "--loader", defaultValue = "random", description = "random (seeded windows) | sequential (llm.c order) (default: ${DEFAULT-VALUE}).")
    String loader;
    @Option(names = "--seed", defaultValue = "1337", description = "Seeds the initial weights and the random loader (default: ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--eval-every", defaultValue = "100", description = "Validation loss every N steps, 0 = only at the end (default: ${DEFAULT-VALUE}).")
    int evalEvery;
    @Option(names = "--checkpoint-every", defaultValue = "100", description = "Checkpoint every N steps, 0 = only at the end (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;
    @Option(names = "--log-json", paramLabel = "FILE", description = "Append one JSON line per step and per evaluation to FILE.")
    Path logJson;

    /** Validation batches per evaluation: 20 × B rows of T tokens. */
    static final int EVAL_BATCHES = 20;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Options that define the model; on resume or --init they must not contradict the existing model. */
    private static final List<String> SHAPE_OPTIONS = List.of("--layers", "--d-model", "--heads", "--d-mlp", "--attn-only",
            "--norm", "--positional", "--mlp", "--tokenizer");
    /** Options a resumed run may change. */
    private static final List<String> RESUME_MAY_CHANGE = List.of("--data", "--val-data", "--out", "--steps", "--eval-every",
            "--checkpoint-every", "--log-json", "--debug", "--init");

    @Override
    public Integer call() {
        validate();
        Checkpoints checkpoints = new Checkpoints(out);
        if (Files.exists(out) && !Files.isDirectory(out)) throw new LoupeException("--out " + out + " exists and is not a directory");
        Optional<Checkpoints.Saved> saved = Files.isDirectory(out) ? checkpoints.loadLatest() : Optional.empty();
        var err = System.err;

        Gpt model;
        Optional<Tokenizer> tok;
        TrainingSettings settings;
        if (saved.isPresent()) {
            Checkpoints.Saved s = saved.get();
            rejectChangedOptions(s);
            model = Gpt.fromWeights(s.config(), s.weights());
            tok = Tokenizers.load(out);
            settings = matched("--steps") ? s.settings().withSteps(steps) : s.settings();
            settings = new TrainingSettings(settings.batch(), settings.seqLen(), settings.steps(), settings.schedule(),
                    settings.adam(), settings.gradClip(), settings.loader(), settings.seed(),
                    matched("--eval-every") ? evalEvery : settings.evalEvery(), settings.evalBatches(),
                    matched("--checkpoint-every") ? checkpointEvery : settings.checkpointEvery());
            int savedThreads = s.extra().path("threads").asInt(Parallel.threads());
            err.printf("resuming %s from step %d of %d%s%n", out, s.step(), settings.steps(),
                    savedThreads != Parallel.threads() ? " (note: saved with " + savedThreads + " threads, now "
                            + Parallel.threads() + ": losses may differ in the last bits)" : "");
            String savedData = s.extra().path("data").asText("");
            if (!savedData.isEmpty() && !Path.of(savedData).toAbsolutePath().equals(data.toAbsolutePath())) {
                err.printf("note: the run was started on %s, now --data %s%n", savedData, data);
            }
            if (s.step() >= settings.steps()) {
                err.printf("nothing to do: the run already has %d steps (give a larger --steps to continue)%n", s.step());
                return 0;
            }
        } else {
            settings = settings();
            if (init != null) {
                for (String o : SHAPE_OPTIONS) {
                    if (matched(o)) throw new UsageException(o + " cannot be combined with --init: the model's shape comes from " + init);
                }
                Path initDir = init.dir();
                ModelDirectory.LoadedModel m = ModelDirectory.read(initDir);
                model = Gpt.fromWeights(m.config(), m.weights());
                tok = Tokenizers.load(initDir);
            } else {
                model = null;
                tok = Optional.empty();
            }
        }

        Optional<TokenizerChoice> choice = matched("--tokenizer") ? Optional.of(TokenizerChoice.parse(tokenizer)) : Optional.empty();
        TrainingDataFiles.Loaded loaded = TrainingDataFiles.load(data, valData, tok, choice, err);
        if (loaded.tokenizer().isPresent() && loaded.data().maxTokenId() >= loaded.tokenizer().get().vocabSize()) {
            throw new LoupeException(data + " holds token id " + loaded.data().maxTokenId() + " but the tokenizer has only "
                    + loaded.tokenizer().get().vocabSize() + " tokens");
        }
        if (model == null) {
            int vocab = loaded.tokenizer().map(Tokenizer::vocabSize)
                    .orElse(Math.max(TrainingDataFiles.GPT2_VOCAB, loaded.data().maxTokenId() + 1));
            model = Gpt.create(config(vocab), seed);
        }
        err.printf("data: %s; %,d training and %,d validation tokens%n", loaded.description(), loaded.data().trainTokens(),
                loaded.data().valTokens());
        GptConfig c = model.config();
        long params = model.parameters().values().stream().mapToLong(t -> t.size()).sum();
        err.printf("model: %d layers, d_model %d, %d heads, vocab %d, %,d parameters; %d threads%n",
                c.nLayer(), c.dModel(), c.nHead(), c.vocabSize(), params, Parallel.threads());

        Trainer trainer = new Trainer(model, settings, loaded.data());
        saved.ifPresent(trainer::restore);
        try {
            Files.createDirectories(out);
        } catch (java.io.IOException e) {
            throw new LoupeException("cannot create --out " + out + ": " + e.getMessage(), e);
        }
        if (saved.isEmpty() && loaded.tokenizer().isPresent()) Tokenizers.save(loaded.tokenizer().get(), out);

        ObjectNode extra = JsonNodeFactory.instance.objectNode();
        extra.put("data", data.toAbsolutePath().toString());
        if (valData != null) extra.put("val_data", valData.toString());
        extra.put("threads", Parallel.threads());
        TrainingRun.run(trainer, checkpoints, extra, out, logJson, saved.isPresent(), err);
        err.printf("done: %d steps, final training loss %.4f%s; model in %s, loss curve %s%n", trainer.step(),
                trainer.history().steps().getLast().loss(), TrainingRun.lastValidation(trainer), out, out.resolve(LossChart.PNG));
        return 0;
    }

    private boolean matched(String option) {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    private void rejectChangedOptions(Checkpoints.Saved s) {
        for (var o : spec.commandLine().getParseResult().matchedOptions()) {
            String name = o.longestName();
            if (RESUME_MAY_CHANGE.contains(name)) continue;
            throw new UsageException(out + " already holds a run (step " + s.step() + ") whose model and settings are fixed; "
                    + name + " cannot change on resume (allowed: --steps, --eval-every, --checkpoint-every, --log-json); "
                    + "use another --out for a new run");
        }
    }

    private void validate() {
        TokenizerChoice.parse(tokenizer); // a bad value is a usage error before anything is read
        if (!List.of("cosine", "constant").contains(schedule)) throw new UsageException("--schedule must be cosine or constant, got " + schedule);
        if (!List.of("random", "sequential").contains(loader)) throw new UsageException("--loader must be random or sequential, got " + loader);
        if (!List.of("pre", "post").contains(norm)) throw new UsageException("--norm must be pre or post, got " + norm);
        if (!List.of("learned", "sinusoidal", "none").contains(positional)) {
            throw new UsageException("--positional must be learned, sinusoidal or none, got " + positional);
        }
        if (!List.of("gelu", "relu", "swiglu").contains(mlp)) throw new UsageException("--mlp must be gelu, relu or swiglu, got " + mlp);
        if (attnOnly && matched("--mlp")) throw new UsageException("--attn-only and --mlp exclude each other");
        if (minLr != null && minLr > lr) throw new UsageException("--min-lr " + minLr + " is larger than --lr " + lr);
    }

    private TrainingSettings settings() {
        try {
            double floor = minLr != null ? minLr : lr / 10;
            LrSchedule s = new LrSchedule(lr, floor, warmup, steps, LrSchedule.Kind.valueOf(schedule.toUpperCase()));
            return new TrainingSettings(batch, seq, steps, s, new AdamW.Settings(beta1, beta2, eps, weightDecay), gradClip,
                    loader, seed, evalEvery, EVAL_BATCHES, checkpointEvery);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private GptConfig config(int vocab) {
        GptConfig.Mlp kind = attnOnly ? GptConfig.Mlp.NONE : GptConfig.Mlp.valueOf(mlp.toUpperCase());
        try {
            return new GptConfig(vocab, seq, dModel, layers, heads, dMlp != null ? dMlp : 4 * dModel, 1e-5f, true,
                    GptConfig.Norm.valueOf(norm.toUpperCase()), kind, GptConfig.Positional.valueOf(positional.toUpperCase()));
        } catch (LoupeException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
