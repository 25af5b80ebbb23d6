package dev.loupe.train;

import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam with decoupled weight decay (Loshchilov &amp; Hutter, "Decoupled Weight Decay
 * Regularization", 2019), in exactly the order {@code torch.optim.AdamW} (single-tensor path)
 * performs it, in float32, for step t = 1, 2, …:
 *
 * <pre>
 *   p ← p · (1 − lr·wd)                      decoupled decay, only where {@link #decays} holds
 *   m ← β₁·m + (1 − β₁)·g                    first moment
 *   v ← β₂·v + (1 − β₂)·g·g                  second moment
 *   denom ← √v / √(1 − β₂ᵗ) + ε
 *   p ← p − (lr / (1 − β₁ᵗ)) · m / denom     bias-corrected Adam step
 * </pre>
 *
 * Weight decay applies to parameters of rank ≥ 2 (the weight matrices and the embeddings
 * {@code wte}, {@code wpe}) and never to biases or LayerNorm gains, as in nanoGPT's
 * {@code configure_optimizers}; {@link Settings#decayAll} decays every parameter instead, as llm.c's
 * CPU trainer ({@code train_gpt2.c}, {@code gpt2_update}) does. Scalars that torch computes in double (bias corrections, step size)
 * are computed in double here too and rounded to float once.
 *
 * <p>The update is one memory-bound pass over all parameters, vectorised with the Vector API and
 * split across {@link Parallel}; every element is updated by the same lane-wise operations
 * regardless of the split, so the result does not depend on the thread count.
 */
public final class AdamW {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /**
     * The hyper-parameters (torch's defaults are β₁ 0.9, β₂ 0.999, ε 1e-8, wd 0.01).
     *
     * @param decayAll decay every parameter, biases and LayerNorm gains included, as llm.c's
     *                 {@code gpt2_update} does; false (GPT-2, nanoGPT) decays only rank ≥ 2 parameters
     */
    public record Settings(double beta1, double beta2, double eps, double weightDecay, boolean decayAll) {
        /** Settings that decay the weight matrices and embeddings only (nanoGPT's groups). */
        public Settings(double beta1, double beta2, double eps, double weightDecay) {
            this(beta1, beta2, eps, weightDecay, false);
        }

        public Settings {
            if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
            if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
            if (!(eps > 0)) throw new IllegalArgumentException("eps must be positive, got " + eps);
            if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must not be negative, got " + weightDecay);
        }
    }

    private final Settings settings;
    private final Map<String, Tensor> params;
    private final Map<String, Tensor> m = new LinkedHashMap<>();
    private final Map<String, Tensor> v = new LinkedHashMap<>();
    private long step;

    /** An optimizer for the live {@code params} (updated in place), with zero moments. */
    public AdamW(Map<String, Tensor> params, Settings settings) {
        this.params = params;
        this.settings = settings;
        for (var e : params.entrySet()) {
            if (!e.getValue().isContiguous()) {
                throw new IllegalArgumentException("parameter " + e.getKey() + " is not contiguous");
            }
            m.put(e.getKey(), Tensor.zeros(e.getValue().shape()));
            v.put(e.getKey(), Tensor.zeros(e.getValue().shape()));
        }
    }

    /** Whether weight decay applies to this parameter: rank ≥ 2 (weights and embeddings), not biases or LayerNorm. */
    public static boolean decays(String name, Tensor param) {
        return param.rank() >= 2;
    }

    /** Whether these settings decay this parameter: every one with {@link Settings#decayAll}, else {@link #decays}. */
    public boolean decaysUnder(String name, Tensor param) {
        return settings.weightDecay > 0 && (settings.decayAll || decays(name, param));
    }

    public Settings settings() { return settings; }

    /** Number of updates taken so far (torch's {@code state['step']}). */
    public long stepCount() { return step; }

    /** The first moments m, by parameter name (live; for checkpoints). */
    public Map<String, Tensor> firstMoments() { return m; }

    /** The second moments v, by parameter name (live; for checkpoints). */
    public Map<String, Tensor> secondMoments() { return v; }

    /** Restores the state saved from {@link #stepCount()}, {@link #firstMoments()} and {@link #secondMoments()}. */
    public void restore(long stepCount, Map<String, Tensor> first, Map<String, Tensor> second) {
        for (String name : params.keySet()) {
            copyState(name, first, m, "first moment");
            copyState(name, second, v, "second moment");
        }
        this.step = stepCount;
    }

    private static void copyState(String name, Map<String, Tensor> from, Map<String, Tensor> to, String what) {
        Tensor src = from.get(name);
        if (src == null) throw new dev.loupe.LoupeException("optimizer state lacks the " + what + " of " + name);
        if (!src.sameShape(to.get(name))) {
            throw new dev.loupe.LoupeException("optimizer state: the " + what + " of " + name + " has shape "
                    + java.util.Arrays.toString(src.shape()) + ", expected " + java.util.Arrays.toString(to.get(name).shape()));
        }
        src.copyInto(to.get(name));
    }

    /** One update of every parameter with learning rate {@code lr} from {@code grads} (same keys as the parameters). */
    public void step(double lr, Map<String, Tensor> grads) {
        step++;
        double bc1 = 1 - Math.pow(settings.beta1, step);
        double bc2 = 1 - Math.pow(settings.beta2, step);
        float negStepSize = (float) -(lr / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        float b1 = (float) settings.beta1, oneMinusB1 = (float) (1 - settings.beta1);
        float b2 = (float) settings.beta2, oneMinusB2 = (float) (1 - settings.beta2);
        float eps = (float) settings.eps;
        for (var e : params.entrySet()) {
            String name = e.getKey();
            Tensor p = e.getValue();
            Tensor g = grads.get(name);
            if (g == null || !g.sameShape(p)) throw new IllegalArgumentException("no gradient of shape of " + name);
            boolean decay = decaysUnder(name, p);
            float keep = decay ? (float) (1 - lr * settings.weightDecay) : 1f;
            Tensor gc = g.contiguous();
            update(p.contiguousData(), p.offset(), gc.data(), gc.offset(), m.get(name).data(), v.get(name).data(),
                    p.size(), decay, keep, b1, oneMinusB1, b2, oneMinusB2, bc2Sqrt, eps, negStepSize);
        }
    }

    private static void update(float[] p, int po, float[] g, int go, float[] m, float[] v, int n, boolean decay,
                               float keep, float b1, float c1, float b2, float c2, float bc2Sqrt, float eps, float negStep) {
        Parallel.forRange(n, 1 << 15, (from, to) -> {
            int i = from;
            int upper = from + S.loopBound(to - from);
            for (; i < upper; i += S.length()) {
                FloatVector pv = FloatVector.fromArray(S, p, po + i);
                FloatVector gv = FloatVector.fromArray(S, g, go + i);
                if (decay) pv = pv.mul(keep);
                // torch: exp_avg.mul_(β₁).add_(g, alpha=1−β₁), whose vector kernel is fmadd(g, α, exp_avg·β₁)
                FloatVector mv = gv.fma(FloatVector.broadcast(S, c1), FloatVector.fromArray(S, m, i).mul(b1));
                // torch: exp_avg_sq.mul_(β₂).addcmul_(g, g, value=1−β₂) = v·β₂ + ((1−β₂)·g)·g
                FloatVector vv = FloatVector.fromArray(S, v, i).mul(b2).add(gv.mul(c2).mul(gv));
                FloatVector denom = vv.lanewise(VectorOperators.SQRT).div(bc2Sqrt).add(eps);
                // torch: p.addcdiv_(exp_avg, denom, value=−step) = p + (−step·m) / denom
                pv = pv.add(mv.mul(negStep).div(denom));
                mv.intoArray(m, i);
                vv.intoArray(v, i);
                pv.intoArray(p, po + i);
            }
            for (; i < to; i++) {
                float pi = p[po + i];
                float gi = g[go + i];
                if (decay) pi = pi * keep;
                float mi = Math.fma(gi, c1, m[i] * b1);
                float vi = v[i] * b2 + (gi * c2) * gi;
                float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
                pi = pi + (mi * negStep) / denom;
                m[i] = mi;
                v[i] = vi;
                p[po + i] = pi;
            }
        });
    }
}
