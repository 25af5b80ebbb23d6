package dev.loupe.cli.reproduce;

import dev.loupe.cli.FlagSettings;
import dev.loupe.cli.ModelRef;
import dev.loupe.cli.OutputDirectory;
import dev.loupe.cli.ProgressLines;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.train.TrainingDataFiles;
import dev.loupe.experiments.lora.LoraRankSweep;
import dev.loupe.experiments.lora.LoraRankSweepReport;
import dev.loupe.experiments.lora.LoraRankSweepResult;
import dev.loupe.experiments.lora.SweepInputs;
import dev.loupe.model.GptConfig;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.Tokenizers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code loupe reproduce lora-rank-sweep}: flags → {@link LoraRankSweep.Settings} and {@link SweepInputs}
 * (the embedded default, or {@code --model} and {@code --data}), {@link LoraRankSweep#run}, then
 * {@link LoraRankSweepReport}; the experiment itself is library code.
 */
@Command(name = "lora-rank-sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tune one base model on other text with LoRA (Hu et al., 2021) at ranks r = 1, 2, 4, 8, 16 and with "
                + "full fine-tuning, the same steps, learning rate, batches and seed for every run, and report for each: "
                + "trainable parameters (and %% of the base), training and held-out loss, the adapter's size on disk (PEFT files), "
                + "median time per step and the training state held in memory (weights, gradients, AdamW moments); plus the base "
                + "model's loss. LoRA runs use alpha = --alpha-over-r × r, so alpha/r is the same at every rank. Every run trains "
                + "as 'loupe finetune' does (AdamW β (0.9, 0.999), warm-up then cosine to lr/10, clipping at 1).",
                "Without --model it needs no download: it pretrains a 2-layer character model (d_model 128) on generated text in "
                        + "one made-up language and fine-tunes it on text in another (90 s on 2 cores at load average 16). With "
                        + "--model DIR --data FILE it sweeps a real base model (e.g. GPT-2) on your text.",
                "Writes report.html (table and a chart of loss against r with the full fine-tune and the base as reference lines), "
                        + "report.json, loss_vs_rank.png, every adapter (r1/, r2/, … PEFT directories for --adapter), the fully "
                        + "fine-tuned model (full/) and, without --model, the base model (base/) to --out; prints the table.",
                ""},
        footer = {"%nExamples:", "  loupe reproduce lora-rank-sweep",
                "  loupe reproduce lora-rank-sweep --ranks 1,4 --steps 40 --pretrain-steps 100 --out runs/lora-sweep-short",
                "  loupe fetch gpt2   # then, with your text in other.txt:",
                "  loupe reproduce lora-rank-sweep --model gpt2 --data other.txt --seq 128 --lr 1e-3 --target-modules c_attn"})
final class LoraRankSweepReproduction implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/reproduce-lora-rank-sweep", paramLabel = "DIR",
            description = "Output directory (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--model", paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "Base model: a model directory or a hub name fetched with 'loupe fetch'; needs --data. Default: pretrain the embedded one.")
    ModelRef model;

    @Option(names = "--data", paramLabel = "FILE|DIR", description = "Fine-tune text (the model's tokenizer) or .bin token files, as for 'loupe finetune'; needs --model.")
    Path data;

    @Option(names = "--val-data", paramLabel = "FILE", description = "Held-out text or .bin file (default: the last 10%% of --data).")
    Path valData;

    @Option(names = "--ranks", split = ",", paramLabel = "R", description = "LoRA ranks (default: 1,2,4,8,16).")
    List<Integer> ranks;

    @Option(names = "--alpha-over-r", paramLabel = "K", description = "lora_alpha = K·r for every rank (default: 2).")
    Double alphaOverR;

    @Option(names = "--target-modules", split = ",", paramLabel = "M",
            description = "Modules that get adapters; c_proj means attn.c_proj and mlp.c_proj, as in PEFT (default: c_attn,c_proj,c_fc).")
    List<String> targets;

    @Option(names = "--no-full", description = "Skip the full fine-tune.")
    boolean noFull;

    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps of every run (default: 150).")
    Integer steps;

    @Option(names = "--batch", paramLabel = "B", description = "Rows per batch (default: 8).")
    Integer batch;

    @Option(names = "--seq", paramLabel = "T", description = "Tokens per row (default: 64).")
    Integer seq;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate of every run (default: 3e-3).")
    Double lr;

    @Option(names = "--warmup", paramLabel = "N", description = "Warm-up steps (default: 10).")
    Integer warmup;

    @Option(names = "--seed", paramLabel = "S", description = "Seeds A's initialisation and the batches (default: 1337).")
    Long seed;

    @Option(names = "--pretrain-steps", paramLabel = "N", description = "Pretraining steps of the embedded base model (default: 600; not with --model).")
    Integer pretrainSteps;

    @Override
    public Integer call() {
        LoraRankSweep.Settings d = LoraRankSweep.Settings.defaults();
        LoraRankSweep.Settings s = FlagSettings.check(() -> new LoraRankSweep.Settings(or(ranks, d.ranks()), or(alphaOverR, d.alphaOverR()),
                or(targets, d.targetModules()), !noFull, or(steps, d.steps()), or(batch, d.batch()), or(seq, d.seq()), or(lr, d.lr()),
                or(warmup, d.warmup()), or(seed, d.seed())));
        if ((model == null) != (data == null)) throw new UsageException("--model and --data go together: give both, or neither for the embedded default");
        if (model != null && pretrainSteps != null) throw new UsageException("--pretrain-steps applies to the embedded base model, not to --model");
        if (model == null && valData != null) throw new UsageException("--val-data needs --model and --data");
        SweepInputs.Embedded e = null;
        if (model == null) {
            SweepInputs.Embedded ed = SweepInputs.Embedded.defaults();
            e = FlagSettings.check(() -> new SweepInputs.Embedded(ed.layers(), ed.dModel(), ed.heads(), ed.context(),
                    or(pretrainSteps, ed.pretrainSteps()), ed.pretrainChars(), ed.finetuneChars(), ed.baseSeed(), ed.finetuneSeed()));
            check(s, e.config());
        }
        SweepInputs given = model == null ? null : inputs(s);
        OutputDirectory.requireWritable(out, "--out");
        ProgressLines progress = new ProgressLines(System.err, "reproduce lora-rank-sweep");
        SweepInputs in = given != null ? given : SweepInputs.embedded(e, progress);
        LoraRankSweepResult r = new LoraRankSweep(s).run(in, out, progress);
        LoraRankSweepReport.write(r, out);
        System.out.println(r.description());
        System.out.println();
        System.out.print(LoraRankSweepReport.table(r));
        System.out.println();
        System.out.println("wrote " + out.resolve(LoraRankSweepReport.HTML) + ", " + out.resolve(LoraRankSweepReport.JSON) + ", "
                + out.resolve(LoraRankSweepReport.PNG) + " and the adapters (" + out.resolve("r*") + ")");
        return 0;
    }

    /** --model and --data, read and checked against the settings before anything is written. */
    private SweepInputs inputs(LoraRankSweep.Settings s) {
        ModelDirectory.LoadedModel base = ModelDirectory.read(model.dir());
        check(s, base.config());
        var tok = Tokenizers.load(base.dir());
        TrainingDataFiles.Loaded loaded = TrainingDataFiles.load(data, valData, tok, Optional.empty(), System.err);
        return FlagSettings.check(() -> new SweepInputs(base.config(), base.weights(), tok.orElse(null), base.dir(), model.spec(),
                loaded.data(), List.of(), "base model " + model.spec() + ", fine-tune data " + loaded.description()));
    }

    /** Settings that do not fit the model (T too long, no module matched) are a usage error, found before any training. */
    private static void check(LoraRankSweep.Settings s, GptConfig c) {
        FlagSettings.check(() -> {
            s.check(c);
            return c;
        });
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
