package dev.loupe.experiments.icl;

import dev.loupe.model.Attention;
import dev.loupe.model.AttentionKind;
import dev.loupe.tensor.Tensor;
import dev.loupe.train.AdamW;
import dev.loupe.train.GradientNorm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * "Transformers learn in-context by gradient descent" (von Oswald et al., 2023) on Loupe's attention
 * kinds: models trained on fresh linear-regression tasks, compared on held-out tasks with one and
 * several steps of gradient descent and with ridge regression, for N = 1 … nMax in-context examples.
 *
 * <p>Models (each on continuous tokens [x, y], {@link IclModel}): one linear self-attention layer
 * (identity features, unnormalised: out_t = Σ_s (q_t·k_s) v_s, the paper's LSA), one softmax layer,
 * one least-squares layer (learned α), and a stack of linear layers. Training samples N uniformly in
 * 1 … nMax per batch.
 */
public final class InContextRegression {

    /**
     * @param dims       d of x (the paper: 10)
     * @param nMax       largest number of in-context examples (evaluated N = 1 … nMax)
     * @param dModel     width of the models' residual stream
     * @param stackLayers layers of the linear-attention stack (2–4)
     * @param steps      AdamW steps per model
     * @param batch      tasks per step
     * @param lr         peak learning rate (cosine to lr/10 after 5% warm-up)
     * @param evalTasks  held-out tasks per N (and as many for tuning the GD learning rates)
     * @param ridgeLambda λ of the ridge baseline
     * @param seed       seeds the data and the weights
     */
    public record Settings(int dims, int nMax, int dModel, int stackLayers, int steps, int batch, double lr, int evalTasks,
                           double ridgeLambda, long seed) {
        /** The full experiment (a few minutes on 2 cores). */
        public static Settings standard() {
            return new Settings(10, 40, 16, 3, 4000, 64, 3e-3, 1000, 1e-3, 1);
        }
    }

    /** The models, by report key. */
    public static Map<String, AttentionKind> models() {
        Map<String, AttentionKind> m = new LinkedHashMap<>();
        m.put("linear_1l", AttentionKind.linear(AttentionKind.FeatureMap.IDENTITY, false));
        m.put("softmax_1l", AttentionKind.SOFTMAX);
        m.put("least_squares_1l", AttentionKind.leastSquares(1f, true));
        m.put("linear_stack", AttentionKind.linear(AttentionKind.FeatureMap.IDENTITY, false));
        return m;
    }

    /** A trained model and its first and last training losses (means over 50 steps) and its time. */
    public record Trained(String key, IclModel model, double firstLoss, double lastLoss, double seconds) {}

    /** Everything the report shows. */
    public record Result(Settings settings, List<Integer> nExamples, Map<String, double[]> mse, double[] gd1BestLr,
                         double[] linearVsGd1Cosine, double[] linearVsGd1RelativeL2, List<Trained> trained,
                         WeightReading reading, Map<String, Integer> gdSteps, double[] constructionAlpha) {}

    private InContextRegression() {}

    /** Trains the four models and evaluates them and the baselines; {@code progress} gets progress lines. */
    public static Result run(Settings s, Consumer<String> progress) {
        List<Trained> trained = new ArrayList<>();
        int k = 0;
        for (Map.Entry<String, AttentionKind> e : models().entrySet()) {
            int layers = e.getKey().equals("linear_stack") ? s.stackLayers() : 1;
            IclModel m = new IclModel(e.getValue(), s.dims() + 1, s.dModel(), 1, layers, s.seed() + 17 * k++);
            trained.add(train(e.getKey(), m, s, progress));
        }
        return evaluate(s, trained, progress);
    }

    /** AdamW on fresh tasks, global-norm clipping at 1, N ~ U{1 … nMax} per step. */
    static Trained train(String key, IclModel m, Settings s, Consumer<String> progress) {
        SplittableRandom r = new SplittableRandom(s.seed() * 7919 + key.hashCode());
        AdamW adam = new AdamW(m.parameters(), new AdamW.Settings(0.9, 0.999, 1e-8, 0.0));
        int warmup = Math.max(1, s.steps() / 20);
        long start = System.nanoTime(), lastReport = start;
        double first = 0, last = 0;
        int window = Math.min(50, Math.max(1, s.steps() / 4));
        for (int step = 0; step < s.steps(); step++) {
            int n = 1 + r.nextInt(s.nMax());
            RegressionTasks t = RegressionTasks.sample(r, s.batch(), n, s.dims());
            m.zeroGradients();
            double loss = m.lossAndBackward(t.tokens(), t.targets(), s.batch(), n + 1);
            double norm = GradientNorm.checkedNorm(m.gradients(), step + 1);
            GradientNorm.clip(m.gradients(), 1.0, norm);
            double lr = step < warmup ? s.lr() * (step + 1) / warmup
                    : s.lr() / 10 + 0.45 * s.lr() * (1 + Math.cos(Math.PI * (step - warmup) / Math.max(1, s.steps() - warmup)));
            adam.step(lr, m.gradients());
            if (step < window) first += loss / window;
            if (step >= s.steps() - window) last += loss / window;
            long now = System.nanoTime();
            if (now - lastReport > 2_000_000_000L || step == s.steps() - 1) {
                double el = (now - start) / 1e9, eta = el / (step + 1) * (s.steps() - step - 1);
                progress.accept(String.format(java.util.Locale.ROOT, "training %-16s step %5d/%d (%3.0f%%)  loss %.4f  %.0f s, ETA %.0f s",
                        key, step + 1, s.steps(), 100.0 * (step + 1) / s.steps(), loss, el, eta));
                lastReport = now;
            }
        }
        return new Trained(key, m, first, last, (System.nanoTime() - start) / 1e9);
    }

    /** Held-out MSE per N of every model and baseline, the GD-1 agreement and the weight reading. */
    static Result evaluate(Settings s, List<Trained> trained, Consumer<String> progress) {
        Map<String, Integer> gdSteps = new LinkedHashMap<>();
        gdSteps.put("gd_1_step", 1);
        gdSteps.put("gd_2_steps", 2);
        gdSteps.put("gd_5_steps", 5);
        Map<String, double[]> mse = new LinkedHashMap<>();
        for (Trained t : trained) mse.put(t.key(), new double[s.nMax()]);
        for (String g : gdSteps.keySet()) mse.put(g, new double[s.nMax()]);
        mse.put("ridge", new double[s.nMax()]);
        mse.put("least_squares_construction", new double[s.nMax()]);
        double[] alphas = {1e-3, 1e-2, 0.1, 0.3, 1, 3, 10, 30};
        IclModel[] lsWired = new IclModel[alphas.length];
        for (int i = 0; i < alphas.length; i++) lsWired[i] = Constructions.ridge(s.dims(), alphas[i]);
        double[] lsAlpha = new double[s.nMax()];
        double[] bestLr = new double[s.nMax()], cos = new double[s.nMax()], rel = new double[s.nMax()];
        List<Integer> ns = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(s.seed() * 104729 + 3);
        IclModel linear = trained.getFirst().model();
        for (int n = 1; n <= s.nMax(); n++) {
            ns.add(n);
            RegressionTasks tune = RegressionTasks.sample(r, s.evalTasks(), n, s.dims());
            RegressionTasks test = RegressionTasks.sample(r, s.evalTasks(), n, s.dims());
            double[] y = test.targets();
            Tensor tokens = test.tokens();
            for (Trained t : trained) mse.get(t.key())[n - 1] = InContextBaselines.mse(t.model().predict(tokens, s.evalTasks(), n + 1), y);
            double[] gd1 = null;
            for (Map.Entry<String, Integer> g : gdSteps.entrySet()) {
                double lr = InContextBaselines.bestLearningRate(tune, g.getValue());
                double[] p = InContextBaselines.gradientDescent(test, g.getValue(), lr);
                mse.get(g.getKey())[n - 1] = InContextBaselines.mse(p, y);
                if (g.getValue() == 1) {
                    gd1 = p;
                    bestLr[n - 1] = lr;
                }
            }
            mse.get("ridge")[n - 1] = InContextBaselines.mse(InContextBaselines.ridge(test, s.ridgeLambda()), y);
            int best = 0;                                                    // α of the wired layer: the best on the tuning tasks
            double bestMse = Double.POSITIVE_INFINITY;
            for (int i = 0; i < alphas.length; i++) {
                double e = InContextBaselines.mse(lsWired[i].predict(tune.tokens(), s.evalTasks(), n + 1), tune.targets());
                if (e < bestMse) {
                    bestMse = e;
                    best = i;
                }
            }
            lsAlpha[n - 1] = alphas[best];
            mse.get("least_squares_construction")[n - 1] = InContextBaselines.mse(lsWired[best].predict(tokens, s.evalTasks(), n + 1), y);
            double[] lin = linear.predict(tokens, s.evalTasks(), n + 1);
            cos[n - 1] = dev.loupe.analysis.trace.PlainMath.cosine(lin, gd1);
            double diff = 0, norm = 0;
            for (int i = 0; i < lin.length; i++) {
                diff += (lin[i] - gd1[i]) * (lin[i] - gd1[i]);
                norm += gd1[i] * gd1[i];
            }
            rel[n - 1] = Math.sqrt(diff / norm);
            if (n % 10 == 0 || n == s.nMax()) progress.accept("evaluating held-out tasks: N = " + n + " of " + s.nMax());
        }
        return new Result(s, ns, mse, bestLr, cos, rel, trained, WeightReading.of(linear, s.dims()), gdSteps, lsAlpha);
    }

    /** The learned α of the least-squares model's heads (learned: exp(ls_log_alpha)). */
    public static double[] learnedAlpha(IclModel m) {
        Tensor t = m.parameters().get("h.0.attn.ls_log_alpha");
        if (t == null) return new double[0];
        double[] a = new double[t.size()];
        for (int i = 0; i < a.length; i++) a[i] = Math.exp(t.get(i));
        return a;
    }

    /** The attention layer l of a model (for readings). */
    static Attention layer(IclModel m, int l) {
        return m.attn[l];
    }
}
