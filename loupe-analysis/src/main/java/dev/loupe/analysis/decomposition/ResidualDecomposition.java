package dev.loupe.analysis.decomposition;

import dev.loupe.LoupeException;
import dev.loupe.model.ActivationCache;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.HookPoints;
import dev.loupe.model.MixtureOfExperts;
import dev.loupe.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The final residual stream of a pre-LN model as a sum of the terms that wrote into it
 * (Elhage et al., "A Mathematical Framework for Transformer Circuits"): each block only adds, so
 * <pre>
 *   x_L = W_E[t] + P[pos] + Σ_{l,h} z_h^l·W_O^{l,h} + Σ_l MLP_l(·) + Σ_l b_O^l      // [T, d_model]
 * </pre>
 * Components, in this order: {@code embed}, {@code pos_embed}, every head {@code L{l}H{h}}
 * ({@code blocks.l.attn.hook_result}), every MLP {@code L{l}MLP} ({@code hook_mlp_out}, its bias
 * b_out included) and one {@code bias} term, Σ_l b_O^l (the attention output biases, which belong to
 * no single head), as TransformerLens's {@code get_full_resid_decomposition}. Their sum equals the
 * model's final residual to float32 rounding.
 *
 * <p>A mixture-of-experts layer has no single MLP term: each expert gets its own, {@code L{l}E{e}}
 * (kind {@link Kind#EXPERT}, {@link Component#head()} = e), the block-diagonal dispatch identity
 * MLP_l = Σ_e diag(R[:, e])·Expert_e(u) read off the pass: for each position routed to e,
 * w · (expert e's cached {@code hook_post} · W_proj,e + b_proj,e). The experts' terms of a layer sum
 * to its {@code hook_mlp_out}; an expert that no position chose contributes zeros.
 *
 * <p>{@link #directLogitAttribution} reads each term through the final LayerNorm as the model did
 * (centred, divided by the cached ln_final scale of that position, times γ) and the unembedding;
 * with ln_final's β·W_U term the attributions add up to the logit.
 *
 * <p>A highway-gated model (SPEC §"Variants") is decomposed with the gates of this run held fixed:
 * every term is multiplied by its path factor, its sublayer's gate times the carry gates of every
 * later sublayer ({@link HighwayPaths}; the embeddings by the product of all carry gates), and the
 * sum is again the final residual. The path shares are in {@link #paths()}.
 *
 * <p>One sequence (batch 1) of the ids as given: a BOS token is in them only if the caller put it there.
 * A post-LN model is rejected: its LayerNorms sit on the residual path, so the stream is no sum. A model
 * without LayerNorm (norm none) is decomposed too: its logits are the components · W_Uᵀ exactly.
 */
public final class ResidualDecomposition {
    /** What a term is. */
    public enum Kind { EMBED, POS_EMBED, HEAD, MLP, BIAS, EXPERT }

    /** One term: its label, kind, layer and head (for an EXPERT its expert index; −1 when not applicable) and value [T, d_model]. */
    public record Component(String label, Kind kind, int layer, int head, Tensor value) {}

    private final Gpt gpt;
    private final List<Component> components;
    private final Tensor residual;   // [T, d]
    private final Tensor scale;      // [T]
    private final Tensor logits;     // [T, V]
    private final HighwayPaths paths; // null without highway gates

    private ResidualDecomposition(Gpt gpt, List<Component> components, Tensor residual, Tensor scale, Tensor logits,
                                  HighwayPaths paths) {
        this.gpt = gpt;
        this.paths = paths;
        this.components = Collections.unmodifiableList(components);
        this.residual = residual;
        this.scale = scale;
        this.logits = logits;
    }

    /** Runs the model once on ids (one sequence), caching only the hooks the decomposition needs. */
    public static ResidualDecomposition compute(Gpt gpt, int[] ids) {
        GptConfig c = gpt.config();
        if (c.norm() == GptConfig.Norm.POST) {
            throw new LoupeException("residual decomposition needs a pre-LN model (or one without LayerNorm): in a post-LN model every block's "
                    + "LayerNorm rescales the stream, so it is not a sum of components");
        }
        int t = ids.length, d = c.dModel(), layers = c.nLayer();
        String last = layers == 0 ? null : HookPoints.name(layers - 1, "hook_resid_post");
        boolean gated = c.highway() != null;
        java.util.function.Predicate<String> paths = gated ? HighwayPaths.hooks() : n -> false;
        Gpt.CachedRun run = gpt.runWithCache(ids, 1, t, n -> n.equals("hook_embed") || n.equals("hook_pos_embed")
                || n.endsWith("attn.hook_result") || n.endsWith("hook_mlp_out") || n.equals(last) || n.equals("ln_final.hook_scale")
                || paths.test(n)
                || n.endsWith("hook_expert_weights") || n.endsWith("hook_expert_indices") || n.endsWith(".hook_post") && n.contains(".experts."));
        ActivationCache cache = run.cache();
        HighwayPaths hp = gated ? HighwayPaths.of(c, cache, t) : null;
        List<Component> out = new ArrayList<>();
        Tensor embedFactor = hp == null ? null : hp.embedFactor();
        out.add(new Component("embed", Kind.EMBED, -1, -1, gate(cache.get("hook_embed").reshape(t, d), embedFactor)));
        out.add(new Component("pos_embed", Kind.POS_EMBED, -1, -1, gate(cache.get("hook_pos_embed").reshape(t, d), embedFactor)));
        Tensor bias = Tensor.zeros(t, d);
        for (int l = 0; l < layers; l++) {
            Tensor attnFactor = hp == null ? null : hp.factor(hp.index(l, false));
            Tensor result = cache.get(HookPoints.name(l, "attn.hook_result")).reshape(t, c.nHead(), d);
            for (int h = 0; h < c.nHead(); h++) {
                out.add(new Component(dev.loupe.analysis.circuits.HeadId.name(l, h), Kind.HEAD, l, h,
                        gate(result.select(1, h).contiguous(), attnFactor)));
            }
            Tensor mlpFactor = hp == null || c.mlp() == GptConfig.Mlp.NONE ? null : hp.factor(hp.index(l, true));
            if (c.isMoeLayer(l)) {
                addExperts(out, gpt.mixture(l), cache, l, t, d, mlpFactor);
            } else if (c.mlp() != GptConfig.Mlp.NONE) {
                out.add(new Component("L" + l + "MLP", Kind.MLP, l, -1,
                        gate(cache.get(HookPoints.name(l, "hook_mlp_out")).reshape(t, d), mlpFactor)));
            }
            Tensor bO = gpt.blocks[l].attn.proj.bias;
            if (bO == null) continue;                     // attn_bias false: nothing to add
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < d; j++) {
                    float f = attnFactor == null ? 1f : attnFactor.get(i, j);
                    bias.set(bias.get(i, j) + bO.get(j) * f, i, j);
                }
            }
        }
        out.add(new Component("bias", Kind.BIAS, -1, -1, bias));
        Tensor residual;
        if (last != null) {
            residual = cache.get(last).reshape(t, d);
        } else {
            residual = Tensor.zeros(t, d);
            dev.loupe.tensor.ops.Ops.add(out.get(0).value(), out.get(1).value(), residual);
        }
        Tensor scale = c.hasLayerNorm() ? cache.get("ln_final.hook_scale").reshape(t) : null;
        return new ResidualDecomposition(gpt, out, residual, scale,
                run.logits().reshape(t, c.vocabSize()), hp);
    }

    /** value ⊙ factor (a fresh [T, d] tensor), or value itself when factor is null (plain residual). */
    private static Tensor gate(Tensor value, Tensor factor) {
        if (factor == null) return value;
        return dev.loupe.tensor.ops.Ops.hadamard(value.contiguous(), factor);
    }

    /** The highway paths of this run (gates, path factors, carry and transform shares), or null for a model without gates. */
    public HighwayPaths paths() {
        return paths;
    }

    /**
     * Expert e's term of layer l, for every e: row t = Σ over t's slots routed to e of
     * w · (post_e[row] · W_proj,e + b_proj,e), with the rows of {@code experts.{e}.hook_post} in slot
     * order (position, then choice), as the dispatch filled them; scaled by the layer's highway path
     * factor when the MLP is gated ({@code factor}, null otherwise).
     */
    private static void addExperts(List<Component> out, MixtureOfExperts moe, ActivationCache cache, int l, int t, int d,
                                   Tensor factor) {
        int k = moe.settings.topK();
        float[] w = cache.get(HookPoints.name(l, "mlp.hook_expert_weights")).toArray();
        float[] idx = cache.get(HookPoints.name(l, "mlp.hook_expert_indices")).toArray();
        for (int e = 0; e < moe.experts.length; e++) {
            Tensor post = cache.get(HookPoints.name(l, "mlp.experts." + e + ".hook_post"));   // [n_e, d_e]
            Tensor y = Tensor.zeros(post.dim(0), d);
            moe.experts[e].proj.forward(post, y);                                             // [n_e, d]
            Tensor term = Tensor.zeros(t, d);
            int row = 0;
            for (int s = 0; s < t * k; s++) {
                if ((int) idx[s] != e) continue;
                int pos = s / k;
                for (int j = 0; j < d; j++) term.set(term.get(pos, j) + w[s] * y.get(row, j), pos, j);
                row++;
            }
            out.add(new Component("L" + l + "E" + e, Kind.EXPERT, l, e, gate(term, factor)));
        }
    }

    /** The terms, in the order of the class comment. */
    public List<Component> components() {
        return components;
    }

    /** The model's final residual stream [T, d_model] (what ln_final read). */
    public Tensor residual() {
        return residual;
    }

    /** The model's logits [T, V] from the same pass. */
    public Tensor logits() {
        return logits;
    }

    /** ln_final's scale √(var + ε) per position [T], cached from the pass; null without LayerNorm. */
    public Tensor finalScale() {
        return scale;
    }

    /** Σ of the components [T, d_model], accumulated in double. */
    public Tensor sum() {
        int t = residual.dim(0), d = residual.dim(1);
        Tensor s = Tensor.zeros(t, d);
        for (int i = 0; i < t; i++)
            for (int j = 0; j < d; j++) {
                double acc = 0;
                for (Component c : components) acc += c.value().get(i, j);
                s.set((float) acc, i, j);
            }
        return s;
    }

    /**
     * Direct logit attribution at {@code position} for {@code token}, one value per component (same
     * order): Σ_j (c_j − mean(c)) / scale · γ_j · W_U[token, j]. Together with
     * {@link #lnBiasTerm} they sum to the logit.
     */
    public double[] directLogitAttribution(int position, int token) {
        double[] dir = direction(token);
        double[] out = new double[components.size()];
        for (int k = 0; k < out.length; k++) out[k] = project(components.get(k).value(), position, dir);
        return out;
    }

    /** DLA of a logit difference logit[good] − logit[bad] (W_U[good] − W_U[bad] as the direction). */
    public double[] directLogitAttribution(int position, int good, int bad) {
        double[] a = directLogitAttribution(position, good), b = directLogitAttribution(position, bad);
        for (int k = 0; k < a.length; k++) a[k] -= b[k];
        return a;
    }

    /** ln_final's β·W_U[token]: the part of the logit no component writes (0 without LayerNorm). */
    public double lnBiasTerm(int token) {
        if (gpt.lnFinal == null) return 0;
        Tensor beta = gpt.lnFinal.bias, wu = unembeddingRow(token);   // [d_model]
        double s = 0;
        for (int j = 0; j < beta.size(); j++) s += (double) beta.get(j) * wu.get(j);
        return s;
    }

    /** The head entries of a per-component array as [n_layer][n_head]. */
    public double[][] perHead(double[] perComponent) {
        GptConfig c = gpt.config();
        double[][] grid = new double[c.nLayer()][c.nHead()];
        for (int k = 0; k < components.size(); k++) {
            Component comp = components.get(k);
            if (comp.kind() == Kind.HEAD) grid[comp.layer()][comp.head()] = perComponent[k];
        }
        return grid;
    }

    /** γ ⊙ W_U[token] [d_model] (W_U[token] without LayerNorm). */
    private double[] direction(int token) {
        Tensor gamma = gpt.lnFinal == null ? null : gpt.lnFinal.weight, wu = unembeddingRow(token);   // [d_model]
        double[] dir = new double[wu.size()];
        for (int j = 0; j < dir.length; j++) dir[j] = (gamma == null ? 1.0 : gamma.get(j)) * wu.get(j);
        return dir;
    }

    /** W_U[token] [d_model] as float32 (a bfloat16 model: that row widened); a clear error outside the vocabulary. */
    private Tensor unembeddingRow(int token) {
        int v = gpt.unembedding.vocabSize();
        if (token < 0 || token >= v) throw new LoupeException("token id " + token + " is outside the vocabulary [0, " + v + ")");
        return gpt.unembedding.rowFloat32(token);
    }

    /** (c[position] − mean) / scale[position] · dir; without LayerNorm c[position] · dir (the logits are linear in the stream). */
    private double project(Tensor c, int position, double[] dir) {
        int d = dir.length;
        if (scale == null) {
            double s = 0;
            for (int j = 0; j < d; j++) s += c.get(position, j) * dir[j];
            return s;
        }
        double mean = 0;
        for (int j = 0; j < d; j++) mean += c.get(position, j);
        mean /= d;
        double s = 0;
        for (int j = 0; j < d; j++) s += (c.get(position, j) - mean) * dir[j];
        return s / scale.get(position);
    }
}
