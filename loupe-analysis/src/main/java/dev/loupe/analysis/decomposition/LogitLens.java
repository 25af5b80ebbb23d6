package dev.loupe.analysis.decomposition;

import dev.loupe.model.ActivationCache;
import dev.loupe.model.Gpt;
import dev.loupe.model.HookPoints;
import dev.loupe.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The logit lens (nostalgebraist, 2020): decode the residual stream after each layer as if it were
 * the last — ln_final (with the statistics of that stream, as the model would compute them) then
 * W_U — to see when the model's prediction forms. Layer 0 is the embedding (the stream entering
 * block 0); layer l + 1 the stream after block l; the last layer's logits are the model's own.
 *
 * <p>One sequence of ids as given (a BOS token only if the caller put one there).
 */
public final class LogitLens {
    /** A token and its probability under one layer's decoded distribution. */
    public record Guess(int token, float probability) {}

    private final Tensor[] logits;   // [n_layer + 1] × [T, V]

    private LogitLens(Tensor[] logits) {
        this.logits = logits;
    }

    /** Runs the model once on ids, caching only the residual stream at each layer boundary. */
    public static LogitLens compute(Gpt gpt, int[] ids) {
        int layers = gpt.config().nLayer(), t = ids.length, d = gpt.config().dModel();
        List<String> names = new ArrayList<>();
        names.add(layers == 0 ? "hook_embed" : HookPoints.name(0, "hook_resid_pre"));   // 0 layers: only the logits are read
        for (int l = 0; l < layers; l++) names.add(HookPoints.name(l, "hook_resid_post"));
        Gpt.CachedRun run = gpt.runWithCache(ids, 1, t, names::contains);
        ActivationCache cache = run.cache();
        Tensor[] out = new Tensor[layers + 1];
        if (layers == 0) {
            out[0] = run.logits().reshape(t, gpt.config().vocabSize()).copy();
            return new LogitLens(out);
        }
        for (int i = 0; i <= layers; i++) {
            Tensor x = cache.get(names.get(i)).reshape(t, d);
            Tensor y = x;                                    // no LayerNorm: W_U reads the stream itself
            if (gpt.lnFinal != null) {
                y = Tensor.zeros(t, d);
                gpt.lnFinal.forward(x, y, Tensor.zeros(t), Tensor.zeros(t));
            }
            Tensor lg = Tensor.zeros(t, gpt.config().vocabSize());
            gpt.unembedding.forward(y, lg);
            out[i] = lg;
        }
        return new LogitLens(out);
    }

    /** Number of decoded layers: n_layer + 1 (the embedding, then after each block). */
    public int layers() {
        return logits.length;
    }

    /** The decoded logits [T, V] at {@code layer} (0 = embedding, n_layer = the model's output). */
    public Tensor logits(int layer) {
        return logits[layer];
    }

    /** The {@code n} most probable tokens at {@code layer} and {@code position}, most probable first. */
    public List<Guess> top(int layer, int position, int n) {
        Tensor row = logits[layer].select(0, position);
        int v = row.size();
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < v; i++) max = Math.max(max, row.get(i));
        double z = 0;
        for (int i = 0; i < v; i++) z += Math.exp(row.get(i) - max);
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Float.compare(row.get(b), row.get(a)));
        List<Guess> out = new ArrayList<>();
        for (int i = 0; i < Math.min(n, v); i++) out.add(new Guess(order[i], (float) (Math.exp(row.get(order[i]) - max) / z)));
        return out;
    }
}
