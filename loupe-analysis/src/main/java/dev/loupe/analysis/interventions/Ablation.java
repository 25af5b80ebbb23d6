package dev.loupe.analysis.interventions;

import dev.loupe.model.ActivationCache;
import dev.loupe.model.HookPoints;
import dev.loupe.tensor.Tensor;

/**
 * Knocking a component out to see what it did: zero-ablation replaces its output with zeros,
 * mean-ablation with its mean over a reference run (every batch row and position), which keeps the
 * stream's typical offset and so disturbs downstream LayerNorms less.
 *
 * <ul>
 *   <li>a head: its slice of {@code blocks.{l}.attn.hook_z} [B, T, H, d_head] — zeroing z_h removes
 *       z_h·W_O^h exactly, the same as zeroing W_O^h's rows (b_O stays);</li>
 *   <li>an MLP: {@code blocks.{l}.hook_mlp_out} [B, T, d] (its bias included);</li>
 *   <li>a neuron: one column of {@code blocks.{l}.mlp.hook_post} [B, T, d_mlp].</li>
 * </ul>
 * Mean-ablation needs a reference cache holding that hook (e.g.
 * {@code gpt.runWithCache(referenceIds, B, T, n -> n.equals(Ablation.headHook(l))).cache()}).
 */
public final class Ablation {
    private Ablation() {}

    /** {@code blocks.{layer}.attn.hook_z}. */
    public static String headHook(int layer) {
        return HookPoints.name(layer, "attn.hook_z");
    }

    /** {@code blocks.{layer}.hook_mlp_out}. */
    public static String mlpHook(int layer) {
        return HookPoints.name(layer, "hook_mlp_out");
    }

    /** {@code blocks.{layer}.mlp.hook_post}. */
    public static String neuronHook(int layer) {
        return HookPoints.name(layer, "mlp.hook_post");
    }

    /** z_h ← 0 in block {@code layer}. */
    public static Intervention zeroHead(int layer, int head) {
        return new Intervention(headHook(layer), (z, n) -> {
            z.select(2, head).fill(0f);
            return z;
        });
    }

    /** z_h ← mean of the reference run's z_h over batch and positions [d_head]. */
    public static Intervention meanHead(int layer, int head, ActivationCache reference) {
        Tensor mean = meanRow(reference.get(headHook(layer)).select(2, head));
        return new Intervention(headHook(layer), (z, n) -> {
            fillRows(z.select(2, head), mean);
            return z;
        });
    }

    /** The MLP's output ← 0 in block {@code layer}. */
    public static Intervention zeroMlp(int layer) {
        return new Intervention(mlpHook(layer), (out, n) -> out.fill(0f));
    }

    /** The MLP's output ← its mean over the reference run [d_model]. */
    public static Intervention meanMlp(int layer, ActivationCache reference) {
        Tensor mean = meanRow(reference.get(mlpHook(layer)));
        return new Intervention(mlpHook(layer), (out, n) -> {
            fillRows(out, mean);
            return out;
        });
    }

    /** Neuron {@code neuron}'s activation ← 0 in block {@code layer}. */
    public static Intervention zeroNeuron(int layer, int neuron) {
        return new Intervention(neuronHook(layer), (post, n) -> {
            post.slice(2, neuron, neuron + 1).fill(0f);
            return post;
        });
    }

    /** Neuron {@code neuron}'s activation ← its mean over the reference run. */
    public static Intervention meanNeuron(int layer, int neuron, ActivationCache reference) {
        Tensor mean = meanRow(reference.get(neuronHook(layer)).slice(2, neuron, neuron + 1));
        return new Intervention(neuronHook(layer), (post, n) -> {
            fillRows(post.slice(2, neuron, neuron + 1), mean);
            return post;
        });
    }

    /** Mean over the two leading dimensions of t [B, T, w] → [w], accumulated in double. */
    static Tensor meanRow(Tensor t) {
        int b = t.dim(0), s = t.dim(1), w = t.dim(2);
        double[] acc = new double[w];
        for (int i = 0; i < b; i++)
            for (int j = 0; j < s; j++)
                for (int k = 0; k < w; k++) acc[k] += t.get(i, j, k);
        Tensor out = Tensor.zeros(w);
        for (int k = 0; k < w; k++) out.set((float) (acc[k] / ((double) b * s)), k);
        return out;
    }

    /** Every row view[i, j, :] ← row (view [B, T, w], possibly strided); returns the view. */
    static Tensor fillRows(Tensor view, Tensor row) {
        for (int i = 0; i < view.dim(0); i++)
            for (int j = 0; j < view.dim(1); j++)
                for (int k = 0; k < view.dim(2); k++) view.set(row.get(k), i, j, k);
        return view;
    }
}
