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
import dev.loupe.train.Evaluator;
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
                "weight matrices and embeddings only, as GPT-2 and nanoGPT; --decay-all decays every",
                "parameter, as llm.c's CPU trainer), warm-up + cosine or constant learning rate and",
                "global-norm gradient clipping.",
                "",
                "--data is UTF-8 text, an llm.c or nanoGPT .bin token file, or a directory of .bin files",
                "(names containing 'val' are validation data). Without validation data the last 10%% of the",
                "tokens are held out. Text is tokenized with --tokenizer: char (tokenizer.json), gpt2 or",
                "bpe:N (vocab.json + merges.txt); the tokenizer is saved beside the model and reused on resume.",
                "",
                "--out DIR becomes a model directory (config.json + model.safetensors, usable by every",
                "command) with checkpoints/ (optimizer state, data position, loss history) and loss.png /",
                "loss.svg. Running the same command again with the same --out resumes from the last",
                "checkpoint, giving exactly the losses of an uninterrupted run (same thread count); options",
                "may be repeated with their old values, but the model's shape, tokenizer and optimisation",
                "settings cannot change (the message names the old and the new value). --data, --val-data,",
                "--steps, --eval-every, --eval-batches, --checkpoint-every and --log-json may change. A",
                "larger --steps extends the run and keeps its learning-rate schedule: the cosine decays over",
                "the original --steps, and the added steps run at --min-lr (no jump at the old end). Steps",
                "logged after the last checkpoint (a crash, kill -9) are removed from --log-json before they",
                "are trained again, so the log holds each step once.",
                "",
                "Validation: every --eval-every steps the loss on the first --eval-batches batches of",
                "validation windows (a sample; the line says how many tokens of how many), and after the",
                "last step the loss on the whole validation set (what 'loupe eval' reports).",
                ""},
        footer = {"", "Examples:",
                "  loupe train --data shakespeare.txt --out runs/shake --steps 2000",
                "  loupe train --data shakespeare.txt --out runs/bpe --tokenizer bpe:4096",
                "  loupe train --data shakespeare.txt --out runs/ft --init gpt2 --steps 200 --lr 1e-4",
                "  loupe train --data shakespeare.txt --out runs/ao --layers 2 --attn-only --log-json runs/ao.jsonl",
                "  loupe train --data tinyshakespeare/ --out runs/tok --loader shuffled --batch 4 --seq 64 --decay-all",
                "  loupe train --data shakespeare.txt --out runs/lin --attention linear --steps 300",
                "  loupe train --data shakespeare.txt --out runs/ls --attention least_squares --ls-alpha 1 --ls-alpha-learned",
                "  loupe train --data shakespeare.txt --out runs/moe --moe-experts 8 --moe-top-k 2 --d-expert 128 --steps 300"})
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
    @picocli.CommandLine.Mixin
    dev.loupe.cli.model.NonFiniteOption nonFinite = new dev.loupe.cli.model.NonFiniteOption();

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
    @CommandLine.Mixin
    AttentionOptions attention;
    @CommandLine.Mixin
    MoeOptions moe;
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
    @Option(names = "--decay-all", description = "Weight decay on every parameter, biases and LayerNorm gains too, as llm.c's "
            + "train_gpt2.c (gpt2_update); by default only weight matrices and embeddings decay (GPT-2, nanoGPT).")
    boolean decayAll;
    @Option(names = "--loader", defaultValue = "random", paramLabel = "random|sequential|shuffled",
            description = "Batch order. random: B windows at seeded random offsets (nanoGPT's get_batch). sequential: consecutive "
                    + "batches of B·T tokens through the shards in file order, llm.c's loader without shuffling (its validation "
                    + "loader, and its training loader before June 2024). shuffled: llm.c's train_gpt2.c training order since "
                    + "June 2024, draw for draw: mt19937 seeded with 42 (not --seed) shuffles the shard order every epoch "
                    + "and the B·T batches within each shard (default: ${DEFAULT-VALUE}).")
    String loader;
    @Option(names = "--seed", defaultValue = "1337", description = "Seeds the initial weights and the random loader (default: ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--eval-every", defaultValue = "100", description = "Validation loss on a sample every N steps, 0 = only "
            + "the whole validation set at the end (default: ${DEFAULT-VALUE}).")
    int evalEvery;
    @Option(names = "--eval-batches", defaultValue = "20", description = "Size of that sample: the first N batches of B "
            + "windows of T tokens, 0 = the whole validation set every time (default: ${DEFAULT-VALUE}).")
    int evalBatches;
    @Option(names = "--checkpoint-every", defaultValue = "100", description = "Checkpoint every N steps, 0 = only at the end (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;
    @Option(names = "--log-json", paramLabel = "FILE", description = "Append one JSON line per step and per evaluation to FILE.")
    Path logJson;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Options that define the model; on resume or --init they must not contradict the existing model. */
    private static final List<String> SHAPE_OPTIONS = java.util.stream.Stream.concat(java.util.stream.Stream.of("--layers", "--d-model", "--heads",
            "--d-mlp", "--attn-only", "--norm", "--positional", "--mlp", "--tokenizer"),
            java.util.stream.Stream.concat(AttentionOptions.NAMES.stream(), MoeOptions.NAMES.stream())).toList();
    /** Options a resumed run may change: where the data is, how long, and how it is measured and saved. */
    private static final List<String> RESUME_MAY_CHANGE = List.of("--data", "--val-data", "--out", "--steps", "--eval-every",
            "--eval-batches", "--checkpoint-every", "--log-json", "--debug", "--init", "--allow-nonfinite");

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
        String tokenizerName;
        if (saved.isPresent()) {
            Checkpoints.Saved s = saved.get();
            tok = Tokenizers.load(out);
            tokenizerName = ResumeCheck.tokenizerName(s.extra(), tok);
            new ResumeCheck(out, s).reject(spec.commandLine().getParseResult(), RESUME_MAY_CHANGE, tokenizerName);
            model = Gpt.fromWeights(s.config(), s.weights());
            settings = matched("--steps") ? s.settings().withSteps(steps) : s.settings();
            settings = settings.withMeasurement(matched("--eval-every") ? evalEvery : settings.evalEvery(),
                    matched("--eval-batches") ? evalBatches : settings.evalBatches(),
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
            LrSchedule plan = settings.schedule();
            if (settings.steps() > plan.steps() && plan.kind() == LrSchedule.Kind.COSINE) {
                err.printf("note: the learning-rate schedule of the original %d steps is kept: steps %d to %d run at the floor "
                        + "--min-lr %s%n", plan.steps(), plan.steps() + 1, settings.steps(), plan.minLr());
            }
            if (logJson != null) {
                int dropped = StepLog.keepUpTo(logJson, s.step());
                if (dropped > 0) {
                    err.printf("%s: removed %d line%s logged after the checkpoint of step %d (they are trained again)%n",
                            logJson, dropped, dropped == 1 ? "" : "s", s.step());
                }
            }
        } else {
            settings = settings();
            if (init != null) {
                for (String o : SHAPE_OPTIONS) {
                    if (matched(o)) throw new UsageException(o + " cannot be combined with --init: the model's shape comes from " + init);
                }
                Path initDir = init.dir();
                ModelDirectory.LoadedModel m = ModelDirectory.read(initDir, nonFinite.allowed());
                TrainingFootprint.of(m.config()).checkTraining(settings.batch(), settings.seqLen(), Runtime.getRuntime().maxMemory());
                model = Gpt.fromWeights(m.config(), m.weights());
                tok = Tokenizers.load(initDir);
                tokenizerName = ResumeCheck.INIT_TOKENIZER;
            } else {
                // a shape that cannot fit whatever the vocabulary is refused before the data is read
                newFootprint(1).checkTraining(batch, seq, Runtime.getRuntime().maxMemory());
                model = null;
                tok = Optional.empty();
                tokenizerName = null;
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
            newFootprint(vocab).checkTraining(batch, seq, Runtime.getRuntime().maxMemory());
            model = Gpt.create(config(vocab), seed);
            tokenizerName = choice.map(TokenizerChoice::toString)
                    .orElse(loaded.tokenizer().isPresent() ? "char" : ResumeCheck.NO_TOKENIZER);
        }
        err.printf("data: %s; %,d training and %,d validation tokens%n", loaded.description(), loaded.data().trainTokens(),
                loaded.data().valTokens());
        GptConfig c = model.config();
        long params = model.parameters().values().stream().mapToLong(t -> t.size()).sum();
        err.printf("model: %d layers, d_model %d, %d heads, vocab %d, %,d parameters%s%s; %d threads%n",
                c.nLayer(), c.dModel(), c.nHead(), c.vocabSize(), params,
                c.attention().isSoftmax() ? "" : ", " + c.attention().describe() + " attention",
                c.moe() == null ? "" : String.format(java.util.Locale.ROOT, ", %d experts top-%d (d_expert %d) in %s",
                        c.moe().experts(), c.moe().topK(), c.moe().dExpert(), c.moe().layers() == null ? "every layer" : "layers " + c.moe().layers()),
                Parallel.threads());

        Trainer trainer = new Trainer(model, settings, loaded.data());
        saved.ifPresent(trainer::restore);
        dev.loupe.cli.OutputDirectory.requireWritable(out, "--out");
        if (saved.isEmpty() && loaded.tokenizer().isPresent()) Tokenizers.save(loaded.tokenizer().get(), out);

        ObjectNode extra = JsonNodeFactory.instance.objectNode();
        extra.put("data", data.toAbsolutePath().toString());
        if (valData != null) extra.put("val_data", valData.toString());
        extra.put("threads", Parallel.threads());
        extra.put(ResumeCheck.TOKENIZER_KEY, tokenizerName);
        Evaluator.Result full = TrainingRun.run(trainer, checkpoints, extra, out, logJson, saved.isPresent(), err);
        err.printf("done: %d steps, final training loss %.4f%s; model in %s, loss curve %s%n", trainer.step(),
                trainer.history().steps().getLast().loss(), TrainingRun.validation(full), out, out.resolve(LossChart.PNG));
        return 0;
    }

    private boolean matched(String option) {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    private void validate() {
        TokenizerChoice.parse(tokenizer); // a bad value is a usage error before anything is read
        if (!List.of("cosine", "constant").contains(schedule)) throw new UsageException("--schedule must be cosine or constant, got " + schedule);
        if (!TrainingSettings.LOADERS.contains(loader)) {
            throw new UsageException("--loader must be random, sequential or shuffled, got " + loader);
        }
        if (!List.of("pre", "post").contains(norm)) throw new UsageException("--norm must be pre or post, got " + norm);
        if (!List.of("learned", "sinusoidal", "none").contains(positional)) {
            throw new UsageException("--positional must be learned, sinusoidal or none, got " + positional);
        }
        if (!List.of("gelu", "relu", "swiglu").contains(mlp)) throw new UsageException("--mlp must be gelu, relu or swiglu, got " + mlp);
        if (attnOnly && matched("--mlp")) throw new UsageException("--attn-only and --mlp exclude each other");
        if (minLr != null && minLr > lr) throw new UsageException("--min-lr " + minLr + " is larger than --lr " + lr);
        positive("--batch", batch);
        positive("--seq", seq);
        positive("--steps", steps);
        if (layers < 0) throw new UsageException("--layers must not be negative, got " + layers);
        positive("--d-model", dModel);
        positive("--heads", heads);
        if (dMlp != null) positive("--d-mlp", dMlp);
        if (evalEvery < 0) throw new UsageException("--eval-every must not be negative, got " + evalEvery);
        if (evalBatches < 0) throw new UsageException("--eval-batches must not be negative, got " + evalBatches);
        if (checkpointEvery < 0) throw new UsageException("--checkpoint-every must not be negative, got " + checkpointEvery);
        attention.kind(); // a bad attention flag is a usage error before anything is read
        moe.settings(dMlp != null ? dMlp : GptConfig.mlpWidth(dModel), !attnOnly); // so is a bad MoE flag
    }

    private static void positive(String option, int value) {
        if (value < 1) throw new UsageException(option + " must be positive, got " + value);
    }

    private TrainingSettings settings() {
        try {
            double floor = minLr != null ? minLr : lr / 10;
            LrSchedule s = new LrSchedule(lr, floor, warmup, steps, LrSchedule.Kind.valueOf(schedule.toUpperCase()));
            return new TrainingSettings(batch, seq, steps, s, new AdamW.Settings(beta1, beta2, eps, weightDecay, decayAll),
                    gradClip, loader, seed, evalEvery, evalBatches, checkpointEvery);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** The sizes of the new model the options describe, in long: checked before any array is made. */
    private TrainingFootprint newFootprint(int vocab) {
        long width = dMlp != null ? dMlp : 4L * dModel;
        return new TrainingFootprint(vocab, seq, dModel, layers, heads, attnOnly ? 0 : width, !attnOnly && mlp.equals("swiglu"),
                positional.equals("learned"));
    }

    private GptConfig config(int vocab) {
        GptConfig.Mlp kind = attnOnly ? GptConfig.Mlp.NONE : GptConfig.Mlp.valueOf(mlp.toUpperCase());
        try {
            return new GptConfig(vocab, seq, dModel, layers, heads, dMlp != null ? dMlp : GptConfig.mlpWidth(dModel), 1e-5f, true,
                    GptConfig.Norm.valueOf(norm.toUpperCase()), kind, GptConfig.Positional.valueOf(positional.toUpperCase()))
                    .withAttention(attention.kind())
                    .withMoe(moe.settings(dMlp != null ? dMlp : GptConfig.mlpWidth(dModel), !attnOnly));
        } catch (LoupeException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
