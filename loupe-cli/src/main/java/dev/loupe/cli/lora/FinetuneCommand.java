package dev.loupe.cli.lora;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.LoupeException;
import dev.loupe.cli.ModelRef;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.train.TrainingRun;
import dev.loupe.cli.train.TrainingDataFiles;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.model.lora.AdapterFiles;
import dev.loupe.model.lora.FinetuneSettings;
import dev.loupe.model.lora.LoraCheckpointFiles;
import dev.loupe.model.lora.LoraConfig;
import dev.loupe.model.lora.LoraModel;
import dev.loupe.tensor.Parallel;
import dev.loupe.tokens.Tokenizers;
import dev.loupe.train.Checkpoints;
import dev.loupe.train.Trainer;
import dev.loupe.train.TrainingSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code loupe finetune}: trains LoRA adapters on a frozen model, with checkpoints and exact resume. */
@Command(name = "finetune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "Fine-tune a model with LoRA (Hu et al., 2021): the model's weights stay frozen and each targeted",
                "GPT-2 Conv1D layer y = x·W + b gets a trainable low-rank update, y += (α/r)·(x·Aᵀ)·Bᵀ with",
                "A [r, in] Kaiming-uniform and B [out, r] zero, so step 0 is exactly the base model. Only A and",
                "B have gradients and AdamW moments: a fraction of the memory of 'loupe train --init'.",
                "",
                "--data is text (encoded with the model's tokenizer) or .bin token files, as for 'loupe train'.",
                "--out DIR becomes a PEFT adapter directory (adapter_config.json + adapter_model.safetensors,",
                "loadable by Hugging Face PEFT and by --adapter of logits, generate, eval, circuits and serve), with",
                "checkpoints/ and loss.png. Running again with the same --out resumes from the last checkpoint,",
                "giving exactly the losses of an uninterrupted run; a larger --steps extends it.",
                ""},
        footer = {"", "Examples:",
                "  loupe finetune --model gpt2 --data shakespeare.txt --out runs/gpt2-lora --steps 200",
                "  loupe finetune --model runs/shake --data other.txt --out runs/lora4 --lora-r 4 --lora-alpha 8 --target-modules c_attn"})
public final class FinetuneCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "The frozen base model: a model directory or a hub name fetched with 'loupe fetch' (gpt2).")
    ModelRef model;
    @Option(names = "--data", required = true, paramLabel = "FILE|DIR", description = "Training text, .bin token file, or directory of .bin files.")
    Path data;
    @Option(names = "--val-data", paramLabel = "FILE", description = "Validation text or .bin file (default: the last 10%% of --data).")
    Path valData;
    @Option(names = "--out", required = true, paramLabel = "ADAPTER_DIR", description = "Output adapter directory; resumed when it holds a checkpoint.")
    Path out;
    @Option(names = "--lora-r", defaultValue = "8", description = "Rank r of each update (default: ${DEFAULT-VALUE}).")
    int r;
    @Option(names = "--lora-alpha", defaultValue = "16", description = "lora_alpha: the update is scaled by alpha / r (default: ${DEFAULT-VALUE}).")
    double alpha;
    @Option(names = "--lora-dropout", defaultValue = "0.0", description = "Dropout on the adapters' input while training (default: ${DEFAULT-VALUE}).")
    double dropout;
    @Option(names = "--target-modules", defaultValue = "c_attn,c_proj,c_fc", split = ",",
            description = "Modules that get adapters; c_proj means both attn.c_proj and mlp.c_proj, as in PEFT (default: ${DEFAULT-VALUE}).")
    List<String> targets;
    @Option(names = "--seq", defaultValue = "64", description = "Context length T of each training row (default: ${DEFAULT-VALUE}).")
    int seq;
    @Option(names = "--batch", defaultValue = "8", description = "Rows per batch B (default: ${DEFAULT-VALUE}).")
    int batch;
    @Option(names = "--steps", defaultValue = "200", description = "Optimizer steps of the run (default: ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr;
    @Option(names = "--warmup", defaultValue = "10", description = "Warm-up steps (default: ${DEFAULT-VALUE}); then cosine to lr / 10.")
    int warmup;
    @Option(names = "--weight-decay", defaultValue = "0.0", description = "AdamW decoupled weight decay on A and B (default: ${DEFAULT-VALUE}).")
    double weightDecay;
    @Option(names = "--grad-clip", defaultValue = "1.0", description = "Max global gradient norm, 0 = off (default: ${DEFAULT-VALUE}).")
    double gradClip;
    @Option(names = "--seed", defaultValue = "1337", description = "Seeds A's initialisation, dropout and the random loader (default: ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--eval-every", defaultValue = "50", description = "Validation loss every N steps, 0 = only at the end (default: ${DEFAULT-VALUE}).")
    int evalEvery;
    @Option(names = "--checkpoint-every", defaultValue = "50", description = "Checkpoint every N steps, 0 = only at the end (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;
    @Option(names = "--log-json", paramLabel = "FILE", description = "Append one JSON line per step and per evaluation to FILE.")
    Path logJson;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Validation batches per evaluation: 20 × B rows of T tokens (as 'loupe train'). */
    static final int EVAL_BATCHES = 20;
    private static final List<String> RESUME_MAY_CHANGE = List.of("--model", "--data", "--val-data", "--out", "--steps",
            "--eval-every", "--checkpoint-every", "--log-json");

    @Override
    public Integer call() {
        if (Files.exists(out) && !Files.isDirectory(out)) throw new LoupeException("--out " + out + " exists and is not a directory");
        Path modelDir = model.dir();
        ModelDirectory.LoadedModel base = ModelDirectory.read(modelDir);
        Checkpoints checkpoints = new Checkpoints(out, new LoraCheckpointFiles(base.config()));
        Optional<Checkpoints.Saved> saved = Files.isDirectory(out) ? checkpoints.loadLatest() : Optional.empty();
        var err = System.err;

        LoraModel lora;
        TrainingSettings settings;
        if (saved.isPresent()) {
            Checkpoints.Saved s = saved.get();
            rejectChangedOptions(s);
            String savedModel = s.extra().path("model").asText("");
            if (!savedModel.isEmpty() && !savedModel.equals(model.spec())) {
                throw new UsageException(out + " holds adapters trained on --model " + savedModel + ", not " + model.spec()
                        + "; resume with the same --model or use another --out");
            }
            LoraConfig cfg = AdapterFiles.read(s.dir()).config();
            lora = LoraModel.load(base.config(), base.weights(), cfg, s.weights(), s.settings().seed());
            lora.seekPass(s.step());
            settings = matched("--steps") ? s.settings().withSteps(steps) : s.settings();
            settings = new TrainingSettings(settings.batch(), settings.seqLen(), settings.steps(), settings.schedule(), settings.adam(),
                    settings.gradClip(), settings.loader(), settings.seed(),
                    matched("--eval-every") ? evalEvery : settings.evalEvery(), settings.evalBatches(),
                    matched("--checkpoint-every") ? checkpointEvery : settings.checkpointEvery());
            err.printf("resuming %s from step %d of %d%n", out, s.step(), settings.steps());
            if (s.step() >= settings.steps()) {
                err.printf("nothing to do: the run already has %d steps (give a larger --steps to continue)%n", s.step());
                return 0;
            }
        } else {
            settings = settings();
            LoraConfig cfg;
            try {
                cfg = LoraConfig.of(r, alpha, dropout, targets, model.spec());
                cfg.modulePaths(base.config());
            } catch (LoupeException e) {
                throw new UsageException(e.getMessage());
            }
            lora = LoraModel.create(base.config(), base.weights(), cfg, seed);
        }

        TrainingDataFiles.Loaded loaded = TrainingDataFiles.load(data, valData, Tokenizers.load(modelDir), Optional.empty(), err);
        err.printf("data: %s; %,d training and %,d validation tokens%n", loaded.description(), loaded.data().trainTokens(),
                loaded.data().valTokens());
        long total = base.weights().values().stream().mapToLong(t -> t.size()).sum();
        long trainable = lora.parameters().values().stream().mapToLong(t -> t.size()).sum();
        err.printf("LoRA r %d, alpha %s on %d modules (%s): %,d trainable of %,d parameters (%.3f%%); %d threads%n",
                lora.lora().r(), lora.lora().alpha(), lora.adapters().size(), String.join(",", lora.lora().targetModules()),
                trainable, total, 100.0 * trainable / total, Parallel.threads());

        Trainer trainer = new Trainer(lora, settings, loaded.data());
        saved.ifPresent(trainer::restore);
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new LoupeException("cannot create --out " + out + ": " + e.getMessage(), e);
        }
        ObjectNode extra = JsonNodeFactory.instance.objectNode();
        extra.put("model", model.spec());
        extra.put("data", data.toAbsolutePath().toString());
        extra.put("threads", Parallel.threads());
        var full = TrainingRun.run(trainer, checkpoints, extra, out, logJson, saved.isPresent(), err);
        err.printf("done: %d steps, final training loss %.4f%s; adapter in %s%n", trainer.step(),
                trainer.history().steps().getLast().loss(), TrainingRun.validation(full), out);
        return 0;
    }

    private boolean matched(String option) {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    private void rejectChangedOptions(Checkpoints.Saved s) {
        for (var o : spec.commandLine().getParseResult().matchedOptions()) {
            if (RESUME_MAY_CHANGE.contains(o.longestName())) continue;
            throw new UsageException(out + " already holds a run (step " + s.step() + ") whose adapter and settings are fixed; "
                    + o.longestName() + " cannot change on resume (allowed: --steps, --eval-every, --checkpoint-every, "
                    + "--log-json); use another --out for a new run");
        }
    }

    private TrainingSettings settings() {
        if (r < 1) throw new UsageException("--lora-r must be positive, got " + r);
        if (!(dropout >= 0 && dropout < 1)) throw new UsageException("--lora-dropout must be in [0, 1), got " + dropout);
        if (targets.isEmpty() || targets.stream().anyMatch(String::isBlank)) {
            throw new UsageException("--target-modules must name modules, e.g. c_attn,c_proj,c_fc; got " + targets);
        }
        try {
            return FinetuneSettings.of(batch, seq, steps, lr, warmup, weightDecay, gradClip, seed, evalEvery, EVAL_BATCHES, checkpointEvery);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
