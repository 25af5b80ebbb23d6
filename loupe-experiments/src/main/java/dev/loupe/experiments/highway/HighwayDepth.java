package dev.loupe.experiments.highway;

import dev.loupe.experiments.Progress;
import dev.loupe.experiments.induction.CopyCorpus;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.HighwaySettings;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.train.AdamW;
import dev.loupe.train.LrSchedule;
import dev.loupe.train.TokenData;
import dev.loupe.train.Trainer;
import dev.loupe.train.TrainingHistory;
import dev.loupe.train.TrainingSettings;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;

/**
 * Deep narrow stacks with four residual connections, trained side by side on the same tokens:
 * the plain residual with post-LN (Vaswani et al.; known to struggle when deep), the plain pre-LN
 * residual (GPT-2), the highway connection y = T⊙F(x) + (1 − T)⊙x (Srivastava et al. 2015) and the
 * gated residual y = x + T⊙F(x), both pre-LN with vector gates on attention and MLP (SPEC §"Variants").
 * Each arm is read afterwards by {@link DepthReading}: per-block relative update, lesion cost and,
 * for the gated arms, the learned gates — Greff, Srivastava and Schmidhuber's (2017) "unrolled
 * iterative estimation": in highway and residual networks later layers refine the representation
 * rather than replace it, so their updates are small and removing one costs little.
 *
 * <p>The data is generated ({@link CopyCorpus}: Zipf-distributed symbols, a fixed successor of the
 * previous two symbols half the time, recurring spans), so the experiment runs from a clean clone
 * without downloads; the same seed gives every arm the same weights' seed, tokens and batches.
 */
public final class HighwayDepth {
    /**
     * @param layers     blocks of every arm
     * @param dModel     residual width
     * @param heads      attention heads per block
     * @param seqLen     training context T
     * @param batch      windows per step
     * @param steps      AdamW steps of every arm
     * @param lr         peak learning rate (cosine to lr/10 after a warm-up of min(50, steps/5))
     * @param gateBias   b_T at initialisation of the gated arms
     * @param vocab      symbols of the generated corpus (≤ 64)
     * @param tokens     length of the generated corpus (90% train, 10% validation)
     * @param evalEvery  validation loss every N steps (the loss curves' second line)
     * @param seed       seed of the corpus, the weights and the batches
     */
    public record Settings(int layers, int dModel, int heads, int seqLen, int batch, int steps, double lr, float gateBias,
                           int vocab, int tokens, int evalEvery, long seed) {
        public Settings {
            require(layers >= 4, "--layers must be at least 4 (blocks 1 to L/2 − 1 are compared with blocks L/2 to L − 1)");
            require(dModel > 0 && heads > 0 && dModel % heads == 0, "--d-model must be a positive multiple of --heads");
            require(seqLen >= 4 && batch >= 1 && steps >= 1, "--seq ≥ 4, --batch ≥ 1 and --steps ≥ 1");
            require(lr > 0, "--lr must be positive");
            require(Float.isFinite(gateBias), "--gate-bias must be a finite number");
            require(vocab >= 4 && vocab <= CopyCorpus.ALPHABET.length(), "--vocab must be between 4 and " + CopyCorpus.ALPHABET.length());
            require(tokens >= 20L * (seqLen + 1) * batch, "--tokens must hold at least 20 batches of windows");
            require(evalEvery >= 1, "--eval-every must be positive");
        }

        /** The default: 16 blocks of width 64 (4 heads), 600 steps of 8 windows of 64 tokens, lr 2e-3, b_T = −2. */
        public static Settings standard() {
            return new Settings(16, 64, 4, 64, 8, 600, 2e-3, -2f, 48, 200_000, 50, 1);
        }

        private static void require(boolean ok, String message) {
            if (!ok) throw new IllegalArgumentException(message);
        }
    }

    /** One way of connecting the sublayers to the stream. */
    public record Arm(String name, String description, GptConfig.Norm norm, HighwaySettings highway) {}

    /** The four arms, in the order of the report. */
    public static List<Arm> arms(float gateBias) {
        var both = EnumSet.allOf(HighwaySettings.Sublayer.class);
        return List.of(
                new Arm("plain-post-ln", "plain residual, post-LN: x = LN(x + F(x))", GptConfig.Norm.POST, null),
                new Arm("plain-pre-ln", "plain residual, pre-LN: x = x + F(LN(x))", GptConfig.Norm.PRE, null),
                new Arm("highway", "highway, pre-LN: x = T⊙F + (1 − T)⊙x", GptConfig.Norm.PRE,
                        new HighwaySettings(both, HighwaySettings.Gate.VECTOR, HighwaySettings.Mode.HIGHWAY, gateBias)),
                new Arm("gated-residual", "gated residual, pre-LN: x = x + T⊙F", GptConfig.Norm.PRE,
                        new HighwaySettings(both, HighwaySettings.Gate.VECTOR, HighwaySettings.Mode.GATED_RESIDUAL, gateBias)));
    }

    /** A trained arm: its model, training losses per step, validation losses, and the reading. */
    public record TrainedArm(Arm arm, Gpt model, List<TrainingHistory.StepPoint> steps, List<TrainingHistory.EvalPoint> evals,
                             double finalLoss, double seconds, DepthReading reading) {}

    /** Everything the report shows. */
    public record Result(Settings settings, List<TrainedArm> arms, CharTokenizer tokenizer, double seconds) {
        /** The arm called {@code name}. */
        public TrainedArm arm(String name) {
            return arms.stream().filter(a -> a.arm().name().equals(name)).findFirst().orElseThrow();
        }
    }

    private final Settings settings;

    public HighwayDepth(Settings settings) {
        this.settings = settings;
    }

    /** The configuration of {@code arm}. */
    public GptConfig config(Arm arm) {
        Settings s = settings;
        return new GptConfig(s.vocab(), s.seqLen(), s.dModel(), s.layers(), s.heads(), 4 * s.dModel(), 1e-5f, true, arm.norm(),
                GptConfig.Mlp.GELU, GptConfig.Positional.LEARNED).withHighway(arm.highway());
    }

    /** Trains and reads every arm. */
    public Result run(Progress progress) {
        long t0 = System.nanoTime();
        Settings s = settings;
        int[] stream = CopyCorpus.generate(s.seed(), s.tokens(), s.vocab(), 0.02, 4 * s.seqLen(), 0.5);
        TokenData data = TokenData.split(stream);
        int[] probe = Arrays.copyOf(data.val().getFirst(), Math.min(data.val().getFirst().length, 4 * (s.seqLen() + 1)));
        List<TrainedArm> out = new ArrayList<>();
        for (Arm arm : arms(s.gateBias())) {
            progress.stage(String.format(Locale.ROOT, "training %s: %d blocks of width %d, %d steps", arm.name(), s.layers(), s.dModel(), s.steps()));
            long a0 = System.nanoTime();
            Gpt gpt = Gpt.create(config(arm), s.seed());
            LrSchedule schedule = new LrSchedule(s.lr(), s.lr() / 10, Math.min(50, s.steps() / 5), s.steps(), LrSchedule.Kind.COSINE);
            TrainingSettings ts = new TrainingSettings(s.batch(), s.seqLen(), s.steps(), schedule,
                    new AdamW.Settings(0.9, 0.95, 1e-8, 0.0), 1.0, "random", s.seed(), s.evalEvery(), 8, 0);
            Trainer trainer = new Trainer(gpt, ts, data);
            try (Progress.Training listener = progress.training(s.steps())) {
                trainer.run(listener, null);
            }
            double loss = trainer.evaluate().loss();
            progress.detail("reading " + arm.name() + ": relative updates, lesions, gates");
            DepthReading reading = DepthReading.of(gpt, probe, s.seqLen());
            out.add(new TrainedArm(arm, gpt, List.copyOf(trainer.history().steps()), List.copyOf(trainer.history().evals()), loss,
                    (System.nanoTime() - a0) / 1e9, reading));
        }
        CharTokenizer tok = CharTokenizer.of(Arrays.asList(CopyCorpus.ALPHABET.substring(0, s.vocab()).split("")));
        return new Result(s, out, tok, (System.nanoTime() - t0) / 1e9);
    }
}
