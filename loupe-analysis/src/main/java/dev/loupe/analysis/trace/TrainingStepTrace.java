package dev.loupe.analysis.trace;

import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;
import dev.loupe.train.AdamW;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import static dev.loupe.analysis.trace.PlainMath.*;

/**
 * One training step after a {@link ForwardTrace}, in plain arithmetic: the loss
 * L = −(1/T)·Σ_i log p_i(y_i), its gradient at the logits (p − onehot(y))/T checked against central
 * finite differences, the chain rule one step back to a single unembedding weight, and one AdamW
 * update of that weight (moments, bias corrections, decoupled decay, the step).
 *
 * <p>The weight is W_U[j, k] with j the last position's target (the word after the prompt: its row
 * is pulled towards the final state) and k the dimension with the largest gradient in that row. In
 * a tied model a token that also occurs in the prompt gets gradient through the embedding too, so
 * then j is the token with the largest logit gradient among those absent from the prompt. When every token of a tied vocabulary occurs in the prompt, the
 * final LayerNorm's gain γ_f[k] is traced instead. The tests check the numbers against
 * {@link Gpt#forwardBackward} and a real {@link AdamW#step}.
 */
public final class TrainingStepTrace {
    private final List<TraceStep> steps = new ArrayList<>();
    private int next;
    private double loss;
    private double[][] dLogits;
    private String weightName;
    private int[] weightIndex;
    private double gradient, before, after;

    private TrainingStepTrace(int firstStep) {
        this.next = firstStep;
    }

    /**
     * Traces a training step on the forward pass {@code fwd} with next-token {@code targets} [T]
     * (target i is the token that should follow position i), AdamW {@code settings} and learning
     * rate {@code lr}. Steps are numbered after the forward trace's.
     */
    public static TrainingStepTrace run(ForwardTrace fwd, int[] targets, AdamW.Settings settings, double lr) {
        int t = fwd.ids().length;
        int v = fwd.model().config().vocabSize();
        if (targets.length != t) throw new IllegalArgumentException("expected " + t + " targets, got " + targets.length);
        for (int y : targets) {
            if (y < 0 || y >= v) throw new dev.loupe.LoupeException("target token id " + y + " is outside the vocabulary [0, " + v + ")");
        }
        TrainingStepTrace s = new TrainingStepTrace(fwd.nextStepNumber());
        s.compute(fwd, targets, settings, lr);
        return s;
    }

    public List<TraceStep> steps() { return List.copyOf(steps); }

    /** L = −(1/T)·Σ_i log p_i(y_i). */
    public double loss() { return loss; }

    /** ∂L/∂ℓ = (p − onehot(y))/T [T, V]. */
    public double[][] logitGradient() {
        return Arrays.stream(dLogits).map(double[]::clone).toArray(double[][]::new);
    }

    /** The parameter whose update is traced: {@code wte.weight}, {@code lm_head.weight} or {@code ln_f.weight}. */
    public String weightName() { return weightName; }

    /** Its index in that parameter: {j, k} for W_U, {k} for γ_f. */
    public int[] weightIndex() { return weightIndex.clone(); }

    /** ∂L/∂θ for that weight. */
    public double gradient() { return gradient; }

    /** The weight before and after the AdamW step. */
    public double before() { return before; }

    public double after() { return after; }

    private void compute(ForwardTrace fwd, int[] y, AdamW.Settings settings, double lr) {
        double[][] z = fwd.logits();
        double[][] p = fwd.probabilities();
        int t = z.length, v = z[0].length;
        List<String> toks = fwd.tokens();
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < t; i++) rows.add(toks.get(i) + " → " + fwd.tokenName(y[i]));

        // ---- loss
        double[][] perPos = new double[t][2];
        double sum = 0;
        for (int i = 0; i < t; i++) {
            perPos[i][0] = p[i][y[i]];
            perPos[i][1] = -Math.log(p[i][y[i]]);
            sum += perPos[i][1];
        }
        loss = sum / t;
        step("Loss", "L = −(1/T)·Σ_i log p_i(y_i)   (y_i = the token that really follows position i)",
                "[T] = [" + t + "] terms → one number",
                String.format(Locale.ROOT, "Training compares each prediction with the token that really came next "
                        + "(teacher forcing: position i is asked for token i+1; the last one for the word after the prompt). "
                        + "−log p is 0 when the model gave the true token probability 1 and grows without bound as it "
                        + "gets less. Here L = %.4f; a uniform guess over %d tokens would give ln %d = %.4f.",
                        loss, v, v, Math.log(v)),
                new TraceTensor("loss.terms", "p_i(y_i) and −log p_i(y_i)", tensor(perPos), rows, List.of("p(y)", "−log p(y)")),
                new TraceTensor("loss", "L", tensor(new double[][] {{loss}}), List.of("L"), List.of("mean")));

        // ---- gradient at the logits
        dLogits = new double[t][v];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < v; j++) dLogits[i][j] = (p[i][j] - (j == y[i] ? 1 : 0)) / t;
        }
        List<String> vocab = v <= 64 ? java.util.stream.IntStream.range(0, v).mapToObj(fwd::tokenName).toList() : List.of();
        int last = t - 1;
        int[] checked = checkedEntries(p[last], y[last]);
        double[][] fd = new double[checked.length][3];
        List<String> fdRows = new ArrayList<>();
        double eps = 1e-4;
        for (int c = 0; c < checked.length; c++) {
            int j = checked[c];
            double zj = z[last][j];
            z[last][j] = zj + eps;
            double up = lossOf(z, y);
            z[last][j] = zj - eps;
            double down = lossOf(z, y);
            z[last][j] = zj;
            fd[c][0] = dLogits[last][j];
            fd[c][1] = (up - down) / (2 * eps);
            fd[c][2] = Math.abs(fd[c][0] - fd[c][1]);
            fdRows.add("ℓ[" + toks.get(last) + ", " + fwd.tokenName(j) + "]");
        }
        step("Gradient at the logits", "∂L/∂ℓ_i[j] = (p_i[j] − [j = y_i]) / T   (p − onehot(y), averaged over T positions)",
                "[T, V] = [" + t + ", " + v + "]",
                "The chain rule through softmax and −log (the diary's two cases): for a wrong token j the gradient is "
                        + "p_j, for the true token p_y − 1. Gradient descent moves against it: it raises the true token's "
                        + "logit and lowers every other logit in proportion to the probability it took. Checked against "
                        + "central finite differences (L(ℓ + ε) − L(ℓ − ε))/2ε with ε = 1e-4, in double precision.",
                new TraceTensor("grad.logits", "∂L/∂ℓ", tensor(dLogits), toks, vocab),
                new TraceTensor("grad.fd_check", "analytic vs finite difference", tensor(fd), fdRows,
                        List.of("analytic", "numeric", "|diff|")));

        // ---- one weight, one step back, one AdamW update
        Gpt gpt = fwd.model();
        double[][] xf = fwd.finalNormalized();
        int j = chooseToken(fwd, y);
        double[][] chain;
        String formula, title;
        List<String> chainCols;
        if (j >= 0) {
            weightName = gpt.config().tied() ? "wte.weight" : "lm_head.weight";
            double[] g = new double[xf[0].length];
            for (int k = 0; k < g.length; k++) for (int i = 0; i < t; i++) g[k] += dLogits[i][j] * xf[i][k];
            int k = argmax(abs(g));
            weightIndex = new int[] {j, k};
            gradient = g[k];
            chain = new double[t][3];
            for (int i = 0; i < t; i++) chain[i] = new double[] {dLogits[i][j], xf[i][k], dLogits[i][j] * xf[i][k]};
            chainCols = List.of("∂L/∂ℓ[j]", "LN_f[k]", "product");
            title = "Back one step: the gradient of one unembedding weight";
            formula = "ℓ_i[j] = Σ_k LN_f(x)_i[k]·W_U[j, k]   ⇒   ∂L/∂W_U[j, k] = Σ_i ∂L/∂ℓ_i[j] · LN_f(x)_i[k]";
            title += String.format(Locale.ROOT, " (j = %s, k = %d)", fwd.tokenName(j), k);
        } else {
            if (gpt.lnFinal == null) {
                throw new dev.loupe.LoupeException("trace: no unembedding weight has a gradient to show and this model has no"
                        + " ln_f (norm none) to trace instead");
            }
            weightName = "ln_f.weight";
            double[][] xhat = fwd.value("ln_final.xhat");
            Tensor wu = gpt.unembedding.weight;
            int d = xhat[0].length;
            double[] g = new double[d];
            double[][] dy = new double[t][d];
            for (int i = 0; i < t; i++) {
                for (int k = 0; k < d; k++) {
                    for (int jj = 0; jj < v; jj++) dy[i][k] += dLogits[i][jj] * wu.get(jj, k);
                    g[k] += dy[i][k] * xhat[i][k];
                }
            }
            int k = argmax(abs(g));
            weightIndex = new int[] {k};
            gradient = g[k];
            chain = new double[t][3];
            for (int i = 0; i < t; i++) chain[i] = new double[] {dy[i][k], xhat[i][k], dy[i][k] * xhat[i][k]};
            chainCols = List.of("∂L/∂LN[k]", "x̂[k]", "product");
            title = "Back two steps: the gradient of the final LayerNorm's gain γ_f[" + k + "]";
            formula = "∂L/∂LN_f(x)_i = ∂L/∂ℓ_i · W_U,   LN_f(x)_i[k] = γ_f[k]·x̂_i[k] + β_f[k]   ⇒   ∂L/∂γ_f[k] = Σ_i ∂L/∂LN_f(x)_i[k] · x̂_i[k]";
        }
        before = weightValue(gpt, weightName, weightIndex);
        step(title, formula, "[T] = [" + t + "] terms → one number",
                "Backpropagation is the chain rule applied once more per layer: this weight touches the loss through "
                        + "every position's logit, so its gradient sums one product per position. (The same sum over all "
                        + "weights is what the model's backward pass computes, layer by layer.)",
                new TraceTensor("grad.chain", "chain rule terms", tensor(chain), toks, chainCols),
                new TraceTensor("grad.weight", "∂L/∂θ", tensor(new double[][] {{gradient}}), List.of(weightLabel(fwd)), List.of("g")));

        // ---- AdamW, step 1 from zero moments
        double b1 = settings.beta1(), b2 = settings.beta2(), e = settings.eps();
        boolean decays = weightIndex.length == 2;   // rank ≥ 2: weight matrices and embeddings decay
        double wd = decays ? settings.weightDecay() : 0;
        double m = (1 - b1) * gradient;
        double vv = (1 - b2) * gradient * gradient;
        double mHat = m / (1 - b1);
        double vHat = vv / (1 - b2);
        double decayed = before * (1 - lr * wd);
        double delta = -lr * mHat / (Math.sqrt(vHat) + e);
        after = decayed + delta;
        double[][] adam = {{before, gradient, m, vv, mHat, vHat, decayed, delta, after}};
        step("One AdamW update of that weight",
                "m = β₁·m + (1−β₁)·g,  v = β₂·v + (1−β₂)·g²,  m̂ = m/(1−β₁ᵗ),  v̂ = v/(1−β₂ᵗ),  "
                        + "θ decayed = θ·(1 − lr·wd),  step = −lr·m̂/(√v̂ + ε),  θ new = θ decayed + step",
                "one number each",
                String.format(Locale.ROOT, "Step t = 1 from m = v = 0, with lr = %s, β₁ = %s, β₂ = %s, ε = %s, weight decay %s%s. "
                        + "On the first step the bias corrections undo the (1−β) factors, so m̂ = g and v̂ = g²: the weight "
                        + "moves by ≈ lr against the sign of its gradient, whatever the gradient's size. Later steps average "
                        + "g over ≈ 1/(1−β₁) = 10 steps and scale by its typical size over ≈ 1/(1−β₂) = 1000 steps.",
                        num(lr), num(b1), num(b2), num(e), num(settings.weightDecay()),
                        decays ? " (decoupled: the weight shrinks by lr·wd before the step)"
                                : " (not applied: gains and biases are not decayed)"),
                new TraceTensor("adamw", "AdamW, step 1", tensor(adam), List.of(weightLabel(fwd)),
                        List.of("θ", "g", "m", "v", "m̂", "v̂", "θ decayed", "step", "θ new")));
    }

    /** The token j of the traced W_U row, or −1 when none qualifies (tied and all in the prompt). */
    private int chooseToken(ForwardTrace fwd, int[] y) {
        boolean tied = fwd.model().config().tied();
        int[] ids = fwd.ids();
        int v = dLogits[0].length, best = -1;
        int wanted = y[y.length - 1];
        if (!tied || Arrays.stream(ids).noneMatch(id -> id == wanted)) return wanted;
        double bestSize = -1;
        for (int j = 0; j < v; j++) {
            final int jj = j;
            if (Arrays.stream(ids).anyMatch(id -> id == jj)) continue;
            double size = 0;
            for (double[] row : dLogits) size += Math.abs(row[j]);
            if (size > bestSize) {
                bestSize = size;
                best = j;
            }
        }
        return best;
    }

    private String weightLabel(ForwardTrace fwd) {
        return switch (weightName) {
            case "ln_f.weight" -> "γ_f[" + weightIndex[0] + "]";
            default -> "W_U[" + fwd.tokenName(weightIndex[0]) + ", " + weightIndex[1] + "]";
        };
    }

    /** The current value of the traced weight in the model. */
    static double weightValue(Gpt gpt, String name, int[] index) {
        return gpt.parameters().get(name).get(index);
    }

    /** The true token and the likeliest others of one row (at most 6 entries). */
    private static int[] checkedEntries(double[] p, int y) {
        int[] top = ForwardTrace.topIndices(p, Math.min(6, p.length));
        int[] out = new int[top.length];
        out[0] = y;
        int n = 1;
        for (int j : top) {
            if (j != y && n < out.length) out[n++] = j;
        }
        return Arrays.copyOf(out, n);
    }

    /** L(ℓ) for the finite differences, in double. */
    private static double lossOf(double[][] z, int[] y) {
        double s = 0;
        for (int i = 0; i < z.length; i++) s -= Math.log(softmax(z[i])[y[i]]);
        return s / z.length;
    }

    private static double[] abs(double[] g) {
        return Arrays.stream(g).map(Math::abs).toArray();
    }

    private static String num(double x) {
        if (x == Math.rint(x) && Math.abs(x) < 1e6) return String.valueOf((long) x);
        return x < 1e-3 ? String.format(Locale.ROOT, "%.0e", x) : String.valueOf(x);
    }

    private void step(String title, String formula, String shape, String meaning, TraceTensor... shown) {
        steps.add(new TraceStep(next++, title, formula, shape, meaning, List.of(shown)));
    }
}
