package dev.loupe.sae;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;
import dev.loupe.train.AdamW;
import dev.loupe.train.LrSchedule;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains a sparse autoencoder on batches of an {@link ActivationSource} (normally an {@link ActivationStore}) (SAELens' training loop).
 *
 * <p>Initialisation: W_dec rows are random directions of norm 0.1 (standard, SAELens'
 * decoder_init_norm) or 1 (topk), W_enc = W_decᵀ, b_enc = 0, b_dec = the geometric median (or
 * mean, or zero) of the first buffer's rows (at most 16384 of them).
 *
 * <p>Each step: one batch x (normalised by the store when asked), λ_t = λ·min(1, (t+1)/l1_warm_up),
 * the objective of {@link SaeStep} with AuxK on the latents silent for more than
 * dead_feature_window steps (topk), Adam (β₁, β₂, ε 1e-8, no weight decay) with a linear
 * learning-rate warm-up lr·(t+1)/(warm_up+1) then constant. TopK keeps the decoder rows at unit
 * norm: before the update the gradient of each row loses its component along the row, after it the
 * row is renormalised. Every feature_sampling_window steps the feature densities of the window are
 * kept (they become {@code sparsity.safetensors}) and, with resampling on (standard), latents that
 * never fired in the window are re-initialised (Bricken et al. 2023): each takes an input drawn with
 * probability ∝ ‖x − x̂‖⁴, W_dec[j] = x/‖x‖, W_enc[:, j] = x/‖x‖ · 0.2 · mean alive encoder norm,
 * b_enc[j] = 0, and their Adam moments are reset.
 *
 * <p>The state ({@link #state()}) is complete: a trainer restored from it continues with
 * bit-identical steps (the store rebuilds its buffer from the step count).
 */
public final class SaeTrainer {

    /** One point of the training curve. */
    public record Point(long step, double loss, double mse, double l0, double explainedVariance, double deadFraction) {}

    /** What the progress line shows after a step. */
    public record Progress(long step, long steps, long tokens, SaeLoss loss, double deadFraction, double lr) {}

    private static final int B_DEC_INIT_ROWS = 16384;

    private final SaeTrainingSettings settings;
    private final ActivationSource store;
    private final SparseAutoencoder sae; // trains on scaled activations: input scale 1
    private final AdamW adam;
    private final Map<String, Tensor> params, grads;
    private final LrSchedule schedule;
    final int[] sinceFired;       // steps since each latent last fired
    final int[] windowCounts;     // tokens each latent fired on in the current sampling window
    long windowTokens;
    float[] lastDensity;          // densities of the last complete window (null before one completes)
    long step;
    final List<Point> history = new ArrayList<>();

    private SaeTrainer(SaeTrainingSettings settings, ActivationSource store, SparseAutoencoder sae) {
        this.settings = settings;
        this.store = store;
        this.sae = sae;
        params = new LinkedHashMap<>();
        params.put("W_enc", sae.wEnc());
        params.put("b_enc", sae.bEnc());
        params.put("W_dec", sae.wDec());
        params.put("b_dec", sae.bDec());
        grads = new LinkedHashMap<>();
        params.forEach((k, t) -> grads.put(k, Tensor.zeros(t.shape())));
        adam = new AdamW(params, new AdamW.Settings(settings.adamBeta1(), settings.adamBeta2(), 1e-8, 0));
        int steps = (int) Math.min(Integer.MAX_VALUE, settings.steps());
        schedule = new LrSchedule(settings.lr(), settings.lr(), settings.lrWarmUpSteps(), Math.max(1, steps), LrSchedule.Kind.CONSTANT);
        sinceFired = new int[settings.dSae()];
        windowCounts = new int[settings.dSae()];
    }

    /** A fresh trainer: the store's normalisation scale is estimated first when asked for. */
    public static SaeTrainer start(SaeTrainingSettings s, ActivationSource store, SaeMetadata metadata) {
        if (s.normalizeActivations().equals(SaeConfig.NORMALIZE_EXPECTED_AVERAGE)) store.estimateNormScale();
        else store.setScale(1f);
        int dIn = store.dIn(), dSae = s.dSae();
        SaeConfig cfg = config(s, dIn, metadata);
        Tensor wDec = randomDecoder(s.seed(), dSae, dIn, s.architecture() == Architecture.TOPK ? 1f : 0.1f);
        Tensor wEnc = wDec.transpose(0, 1).copy();
        Tensor bDec = Tensor.zeros(dIn);
        if (!s.bDecInit().equals("zeros")) {
            Tensor first = store.firstRows();
            first = first.slice(0, 0, Math.min(first.dim(0), B_DEC_INIT_ROWS));
            if (store.scale() != 1f) {
                first = first.copy();
                SparseAutoencoder.scaleInPlace(first, store.scale());
            }
            float[] b = s.bDecInit().equals("mean") ? GeometricMedian.mean(first) : GeometricMedian.of(first, 100);
            System.arraycopy(b, 0, bDec.data(), 0, dIn);
        }
        return new SaeTrainer(s, store, SparseAutoencoder.of(cfg, wEnc, Tensor.zeros(dSae), wDec, bDec, null));
    }

    /** W_dec [d_sae, d_in] with rows in random directions (Gaussian, seeded), each of length {@code norm}. */
    static Tensor randomDecoder(long seed, int dSae, int dIn, float norm) {
        Tensor wDec = Tensor.randn(seed, 1f, dSae, dIn);
        float[] w = wDec.data();
        for (int j = 0; j < dSae; j++) {
            double ss = 0;
            for (int i = 0; i < dIn; i++) ss += (double) w[j * dIn + i] * w[j * dIn + i];
            float c = (float) (norm / Math.sqrt(ss));
            for (int i = 0; i < dIn; i++) w[j * dIn + i] *= c;
        }
        return wDec;
    }

    /** A trainer continuing from a saved {@link SaeTrainerState}. */
    public static SaeTrainer restore(SaeTrainingSettings s, ActivationSource store, SaeMetadata metadata, SaeTrainerState st) {
        SaeConfig cfg = config(s, store.dIn(), metadata);
        SparseAutoencoder sae;
        try {
            sae = SparseAutoencoder.of(cfg, st.weights().get("W_enc"), st.weights().get("b_enc"), st.weights().get("W_dec"),
                    st.weights().get("b_dec"), null);
        } catch (LoupeException e) {
            throw new LoupeException("the checkpoint does not fit these settings: " + e.getMessage());
        }
        SaeTrainer t = new SaeTrainer(s, store, sae);
        t.adam.restore(st.adamSteps(), st.firstMoments(), st.secondMoments());
        store.setScale(st.scale());
        store.skipTo(st.step());
        t.step = st.step();
        System.arraycopy(st.sinceFired(), 0, t.sinceFired, 0, t.sinceFired.length);
        System.arraycopy(st.windowCounts(), 0, t.windowCounts, 0, t.windowCounts.length);
        t.windowTokens = st.windowTokens();
        t.lastDensity = st.lastDensity();
        t.history.addAll(st.history());
        return t;
    }

    /** SAELens' config of the trained SAE: reshape_activations "hook_z" for an attention hook_z SAE. */
    private static SaeConfig config(SaeTrainingSettings s, int dIn, SaeMetadata metadata) {
        boolean z = metadata.hookName() != null && metadata.hookName().endsWith("hook_z");
        return new SaeConfig(s.architecture(), dIn, s.dSae(), s.k(), true, SaeConfig.NORMALIZE_NONE, z ? "hook_z" : "none",
                "float32", "cpu", metadata);
    }

    /** The complete state, for a checkpoint (live tensors: save before the next step). */
    public SaeTrainerState state() {
        return new SaeTrainerState(step, store.scale(), params, adam.stepCount(), adam.firstMoments(), adam.secondMoments(),
                sinceFired.clone(), windowCounts.clone(), windowTokens, lastDensity == null ? null : lastDensity.clone(),
                List.copyOf(history));
    }

    public SaeTrainingSettings settings() { return settings; }

    public long stepsTaken() { return step; }

    public boolean done() { return step >= settings.steps(); }

    public List<Point> history() { return history; }

    /**
     * The SAE as trained so far, for raw activations: the training weights with the store's scale
     * as input scale (copies; {@link SaeFiles#save} folds the scale).
     */
    public SparseAutoencoder current() {
        SaeConfig cfg = sae.config().withNormalizeActivations(store.scale() == 1f ? SaeConfig.NORMALIZE_NONE
                : SaeConfig.NORMALIZE_EXPECTED_AVERAGE);
        return SparseAutoencoder.of(cfg, sae.wEnc().copy(), sae.bEnc().copy(), sae.wDec().copy(), sae.bDec().copy(), null,
                store.scale());
    }

    /** Feature densities: the last complete sampling window's, else those of the tokens seen so far in this window. */
    public float[] featureDensity() {
        if (lastDensity != null) return lastDensity.clone();
        float[] d = new float[windowCounts.length];
        if (windowTokens > 0) for (int j = 0; j < d.length; j++) d[j] = (float) (windowCounts[j] / (double) windowTokens);
        return d;
    }

    /** Fraction of latents silent for more than dead_feature_window steps. */
    public double deadFraction() {
        int dead = 0;
        for (int c : sinceFired) if (c > settings.deadFeatureWindow()) dead++;
        return dead / (double) sinceFired.length;
    }

    /** One training step on the store's next batch. */
    public Progress trainStep() {
        Tensor x = store.next();
        double l1 = settings.l1WarmUpSteps() > 0
                ? settings.l1Coefficient() * Math.min(1.0, (step + 1) / (double) settings.l1WarmUpSteps())
                : settings.l1Coefficient();
        boolean[] dead = null;
        if (settings.architecture() == Architecture.TOPK) {
            dead = new boolean[sinceFired.length];
            for (int j = 0; j < dead.length; j++) dead[j] = sinceFired[j] > settings.deadFeatureWindow();
        }
        int[] counts = new int[sinceFired.length];
        SaeLoss loss = SaeStep.run(sae, x, new SaeStep.Coefficients(l1, settings.auxKCoefficient()), dead, grads, counts);
        if (!Double.isFinite(loss.loss())) {
            throw new LoupeException("the SAE loss became " + loss.loss() + " at step " + step
                    + " (mse " + loss.mse() + "); lower --lr or --l1-coefficient");
        }
        if (settings.unitNormDecoder()) removeParallelComponent(grads.get("W_dec"), sae.wDec());
        double lr = schedule.at((int) Math.min(Integer.MAX_VALUE, step));
        adam.step(lr, grads);
        if (settings.unitNormDecoder()) normaliseRows(sae.wDec());
        for (int j = 0; j < counts.length; j++) {
            sinceFired[j] = counts[j] > 0 ? 0 : sinceFired[j] + 1;
            windowCounts[j] += counts[j];
        }
        windowTokens += x.dim(0);
        step++;
        if (step % settings.featureSamplingWindow() == 0) {
            float[] d = new float[windowCounts.length];
            for (int j = 0; j < d.length; j++) d[j] = (float) (windowCounts[j] / (double) windowTokens);
            lastDensity = d;
            if (settings.resampleDead()) resample(x, windowCounts);
            java.util.Arrays.fill(windowCounts, 0);
            windowTokens = 0;
        }
        double deadFraction = deadFraction();
        history.add(new Point(step, loss.loss(), loss.mse(), loss.l0(), loss.explainedVariance(), deadFraction));
        return new Progress(step, settings.steps(), step * settings.trainBatchTokens(), loss, deadFraction, lr);
    }

    /** g_j ← g_j − (g_j·w_j) w_j / ‖w_j‖² for each decoder row: the update keeps ‖w_j‖ to first order. */
    static void removeParallelComponent(Tensor grad, Tensor w) {
        int rows = w.dim(0), d = w.dim(1);
        float[] g = grad.contiguousData(), a = w.data();
        dev.loupe.tensor.Parallel.forRange(rows, 64, (from, to) -> {
            for (int j = from; j < to; j++) {
                float nn = VectorKernels.dot(a, j * d, a, j * d, d);
                if (nn == 0) continue;
                VectorKernels.axpy(-VectorKernels.dot(g, j * d, a, j * d, d) / nn, a, j * d, g, j * d, d);
            }
        });
    }

    /** w_j ← w_j / ‖w_j‖ for each row. */
    static void normaliseRows(Tensor w) {
        int rows = w.dim(0), d = w.dim(1);
        float[] a = w.contiguousData();
        dev.loupe.tensor.Parallel.forRange(rows, 64, (from, to) -> {
            for (int j = from; j < to; j++) {
                float nn = VectorKernels.dot(a, j * d, a, j * d, d);
                if (nn > 0) VectorKernels.scale((float) (1 / Math.sqrt(nn)), a, j * d, d);
            }
        });
    }

    private void resample(Tensor x, int[] counts) {
        int dIn = sae.dIn(), dSae = sae.dSae(), n = x.dim(0);
        List<Integer> deadList = new ArrayList<>();
        for (int j = 0; j < dSae; j++) if (counts[j] == 0) deadList.add(j);
        if (deadList.isEmpty()) return;
        Tensor recons = sae.forward(x);
        Tensor xc = x.contiguous();
        double[] cum = new double[n];
        double total = 0;
        for (int r = 0; r < n; r++) {
            double e = 0;
            for (int i = 0; i < dIn; i++) {
                double d = recons.data()[r * dIn + i] - xc.data()[xc.offset() + r * dIn + i];
                e += d * d;
            }
            total += e * e;
            cum[r] = total;
        }
        float[] we = sae.wEnc().data(), wd = sae.wDec().data(), be = sae.bEnc().data();
        boolean[] isDead = new boolean[dSae];
        for (int j : deadList) isDead[j] = true;
        double aliveNorm = 0;
        int alive = 0;
        for (int j = 0; j < dSae; j++) {
            if (isDead[j]) continue;
            double s = 0;
            for (int i = 0; i < dIn; i++) s += (double) we[i * dSae + j] * we[i * dSae + j];
            aliveNorm += Math.sqrt(s);
            alive++;
        }
        double encNorm = 0.2 * (alive > 0 ? aliveNorm / alive : 1.0);
        SplittableRandom rnd = new SplittableRandom(settings.seed() * 31 + step);
        Map<String, Tensor> m = adam.firstMoments(), v = adam.secondMoments();
        for (int j : deadList) {
            int r = pick(cum, total, rnd);
            double nn = 0;
            for (int i = 0; i < dIn; i++) nn += (double) xc.data()[xc.offset() + r * dIn + i] * xc.data()[xc.offset() + r * dIn + i];
            double inv = nn > 0 ? 1 / Math.sqrt(nn) : 0;
            for (int i = 0; i < dIn; i++) {
                float u = (float) (xc.data()[xc.offset() + r * dIn + i] * inv);
                wd[j * dIn + i] = u;
                we[i * dSae + j] = (float) (u * encNorm);
                for (Map<String, Tensor> mom : List.of(m, v)) {
                    mom.get("W_dec").data()[j * dIn + i] = 0;
                    mom.get("W_enc").data()[i * dSae + j] = 0;
                }
            }
            be[j] = 0;
            m.get("b_enc").data()[j] = 0;
            v.get("b_enc").data()[j] = 0;
        }
    }

    private static int pick(double[] cum, double total, SplittableRandom rnd) {
        if (!(total > 0)) return rnd.nextInt(cum.length);
        double u = rnd.nextDouble() * total;
        int lo = 0, hi = cum.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cum[mid] > u) hi = mid; else lo = mid + 1;
        }
        return lo;
    }
}
