package dev.loupe.experiments.lora;

import dev.loupe.LoupeException;
import dev.loupe.experiments.Progress;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.TrainableModel;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.model.lora.AdapterFiles;
import dev.loupe.model.lora.FinetuneSettings;
import dev.loupe.model.lora.LoraConfig;
import dev.loupe.model.lora.LoraModel;
import dev.loupe.tensor.Tensor;
import dev.loupe.tokens.Tokenizers;
import dev.loupe.train.Evaluator;
import dev.loupe.train.Trainer;
import dev.loupe.train.TrainingSettings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The LoRA rank sweep (Hu et al., 2021, "LoRA: Low-Rank Adaptation of Large Language Models", whose
 * Table 6 varies r): one base model fine-tuned on other text with LoRA at each rank r and, for
 * reference, with full fine-tuning — the same steps, learning rate, schedule, batches and seed — and
 * for each run the trainable parameters, the training and held-out loss, the adapter's size on disk,
 * the time per step and the training state held in memory; plus the base model's loss on the same
 * tokens. The fine-tunes are {@code loupe finetune}'s: {@link LoraModel} (frozen base, only A and B
 * trained) or the plain {@link Gpt}, trained by the one {@link Trainer} with {@link FinetuneSettings}.
 *
 * <p>Each LoRA run uses α = {@code alphaOverR}·r, so the update's scale s = α/r is the same at every
 * rank and the runs differ only in r. Every adapter is saved in PEFT's layout under {@code out/r{r}},
 * the fully fine-tuned model under {@code out/full}.
 */
public final class LoraRankSweep {

    /**
     * @param ranks         the LoRA ranks, each ≥ 1 (sorted, duplicates dropped)
     * @param alphaOverR    lora_alpha / r of every run (the scale s of ΔW = s·(B·A)ᵀ)
     * @param targetModules PEFT's target_modules (c_attn, c_proj, c_fc, … matched as in PEFT)
     * @param fullFineTune  whether to run the full fine-tune too
     * @param steps         optimizer steps of every run
     * @param batch         rows per batch B
     * @param seq           tokens per row T
     * @param lr            peak learning rate of every run (warm-up, then cosine to lr/10)
     * @param warmup        warm-up steps
     * @param seed          seeds A's initialisation and the batches (the same batches in every run)
     */
    public record Settings(List<Integer> ranks, double alphaOverR, List<String> targetModules, boolean fullFineTune, int steps,
                           int batch, int seq, double lr, int warmup, long seed) {
        public Settings {
            if (ranks.isEmpty() && !fullFineTune) throw new IllegalArgumentException("nothing to run: no rank and no full fine-tune");
            for (int r : ranks) if (r < 1) throw new IllegalArgumentException("ranks must be positive, got " + r);
            ranks = ranks.stream().distinct().sorted().toList();
            if (!(alphaOverR > 0) || Double.isInfinite(alphaOverR)) throw new IllegalArgumentException("alpha / r must be positive, got " + alphaOverR);
            targetModules = List.copyOf(targetModules);
            if (targetModules.isEmpty() || targetModules.stream().anyMatch(String::isBlank)) {
                throw new IllegalArgumentException("target modules must name modules, e.g. c_attn,c_proj,c_fc; got " + targetModules);
            }
            training(steps, batch, seq, lr, warmup, seed);                 // its ranges, checked now
        }

        /** Ranks 1, 2, 4, 8, 16 with α = 2r on c_attn, c_proj, c_fc, and a full fine-tune; 150 steps of 8 × 64 tokens at lr 3e-3. */
        public static Settings defaults() {
            return new Settings(List.of(1, 2, 4, 8, 16), 2, List.of("c_attn", "c_proj", "c_fc"), true, 150, 8, 64, 3e-3, 10, 1337);
        }

        /** The training settings of every run: {@link FinetuneSettings}, no evaluation or checkpoint during the run. */
        public TrainingSettings training() {
            return training(steps, batch, seq, lr, warmup, seed);
        }

        private static TrainingSettings training(int steps, int batch, int seq, double lr, int warmup, long seed) {
            return FinetuneSettings.of(batch, seq, steps, lr, warmup, 0.0, 1.0, seed, 0, 0, 0);
        }

        /** The LoRA config of rank r: α = alphaOverR·r, no dropout. */
        public LoraConfig lora(int r, String baseModel) {
            return LoraConfig.of(r, alphaOverR * r, 0.0, targetModules, baseModel);
        }

        /**
         * Whether these settings fit a model: T within its context, target modules that match.
         *
         * @throws IllegalArgumentException saying what does not fit
         */
        public void check(GptConfig c) {
            if (seq > c.nPositions()) throw new IllegalArgumentException("seq " + seq + " is longer than the model's context n_positions " + c.nPositions());
            try {
                lora(1, "").modulePaths(c);
            } catch (LoupeException e) {
                throw new IllegalArgumentException(e.getMessage());
            }
        }
    }

    private final Settings settings;

    public LoraRankSweep(Settings settings) {
        this.settings = settings;
    }

    public Settings settings() {
        return settings;
    }

    /**
     * Runs every fine-tune of the sweep on {@code in}, one after the other, saving the adapters (and the
     * fully fine-tuned model, and an embedded base model) under {@code out}.
     */
    public LoraRankSweepResult run(SweepInputs in, Path out, Progress progress) {
        settings.check(in.config());
        long start = System.nanoTime();
        Path baseDir = in.baseDir();
        String baseName = in.baseName();
        if (baseDir == null) {
            baseDir = out.resolve("base");
            ModelDirectory.write(baseDir, in.config(), in.weights());
            if (in.tokenizer() != null) Tokenizers.save(in.tokenizer(), baseDir);
            baseName = baseDir.toString();
        }
        var data = in.data();
        int seq = settings.seq(), batch = settings.batch();
        long valTokens = Evaluator.windowTokens(data.val(), seq);
        if (valTokens == 0) throw new IllegalArgumentException("the held-out fine-tune text is shorter than one window of " + (seq + 1) + " tokens");
        long trainRows = valTokens / seq;
        Gpt base = Gpt.frozen(in.config(), in.weights());
        long baseParams = count(base.parameters().values());
        progress.stage("measuring the base model on the fine-tune text");
        double baseTrain = Evaluator.evaluate(base, data.train(), batch, seq, trainRows).loss();
        double baseVal = Evaluator.evaluate(base, data.val(), batch, seq, 0).loss();
        double baseOriginal = original(base, in);

        List<SweepRun> runs = new ArrayList<>();
        for (int r : settings.ranks()) {
            LoraConfig cfg = settings.lora(r, baseName);
            LoraModel lora = LoraModel.create(in.config(), in.weights(), cfg, settings.seed());
            long trainable = count(lora.parameters().values());
            progress.stage(String.format(Locale.ROOT, "LoRA r = %d (alpha %s) on %s: %,d trainable parameters (%.2f%% of %,d), %d steps",
                    r, trim(cfg.alpha()), String.join(",", cfg.targetModules()), trainable, 100.0 * trainable / baseParams, baseParams,
                    settings.steps()));
            Path dir = out.resolve("r" + r);
            runs.add(fineTune("r" + r, r, cfg.alpha(), lora, in, trainRows, dir, () -> {
                AdapterFiles.write(dir, lora.lora(), lora.parameters());
                return size(dir, AdapterFiles.CONFIG, AdapterFiles.WEIGHTS);
            }, progress));
        }
        if (settings.fullFineTune()) {
            Map<String, Tensor> copy = new LinkedHashMap<>();
            in.weights().forEach((k, v) -> copy.put(k, v.copy()));
            Gpt gpt = Gpt.fromWeights(in.config(), copy);
            progress.stage(String.format(Locale.ROOT, "full fine-tune: %,d trainable parameters, %d steps", baseParams, settings.steps()));
            Path dir = out.resolve("full");
            runs.add(fineTune("full", 0, 0, gpt, in, trainRows, dir, () -> {
                ModelDirectory.write(dir, in.config(), gpt.parameters());
                if (in.tokenizer() != null) Tokenizers.save(in.tokenizer(), dir);
                return size(dir, ModelDirectory.CONFIG, ModelDirectory.WEIGHTS);
            }, progress));
        }
        return new LoraRankSweepResult(settings, in.description(), in.config(), baseParams, baseTrain, baseVal, baseOriginal,
                valTokens, data.trainTokens(), runs, baseDir, (System.nanoTime() - start) / 1e9);
    }

    private SweepRun fineTune(String name, int rank, double alpha, TrainableModel model, SweepInputs in, long trainRows, Path dir,
                              LongSupplier save, Progress progress) {
        Trainer trainer = new Trainer(model, settings.training(), in.data());
        List<Double> seconds = new ArrayList<>();
        try (Progress.Training listener = progress.training(settings.steps())) {
            trainer.run(new Trainer.Listener() {
                @Override
                public void onStep(Trainer.StepReport r) {
                    seconds.add(r.seconds());
                    listener.onStep(r);
                }
            }, null);
        }
        long state = 4 * (count(weights(model)) + count(model.gradients().values()) + (model instanceof LoraModel l
                ? count(l.parameters().values()) + count(l.model().gradients().values()) : 0)
                + count(trainer.optimizer().firstMoments().values()) + count(trainer.optimizer().secondMoments().values()));
        double train = Evaluator.evaluate(model, in.data().train(), settings.batch(), settings.seq(), trainRows).loss();
        double val = trainer.evaluateAll().loss();
        double original = original(model, in);
        long disk = save.getAsLong();                                     // saves the files, returns their bytes
        double total = seconds.stream().mapToDouble(Double::doubleValue).sum();
        SweepRun run = new SweepRun(name, rank, alpha, count(model.parameters().values()), train, val, original, disk,
                median(seconds), total, state, dir);
        progress.detail(String.format(Locale.ROOT, "%s: held-out loss %.4f, training loss %.4f, %.1f ms/step, %,d bytes on disk",
                name, val, train, 1e3 * run.secondsPerStep(), disk));
        return run;
    }

    /** The weights the model computes with: the frozen base's under LoRA, its own otherwise. */
    private static Collection<Tensor> weights(TrainableModel m) {
        return m instanceof LoraModel l ? l.model().parameters().values() : m.parameters().values();
    }

    private double original(TrainableModel m, SweepInputs in) {
        if (in.originalHeldOut().isEmpty() || Evaluator.windowTokens(in.originalHeldOut(), settings.seq()) == 0) return Double.NaN;
        return Evaluator.evaluate(m, in.originalHeldOut(), settings.batch(), settings.seq(), 0).loss();
    }

    static long count(Collection<Tensor> tensors) {
        long n = 0;
        for (Tensor t : tensors) n += t.size();
        return n;
    }

    private static long size(Path dir, String... files) {
        long n = 0;
        try {
            for (String f : files) n += Files.size(dir.resolve(f));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return n;
    }

    private static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    /** 2 for 2.0, 2.5 for 2.5. */
    static String trim(double x) {
        return x == Math.rint(x) ? String.valueOf((long) x) : String.valueOf(x);
    }
}
