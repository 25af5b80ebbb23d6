package dev.loupe.analysis.circuits;

import dev.loupe.LoupeException;
import dev.loupe.model.ActivationCache;
import dev.loupe.model.Attention;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.HookPoints;
import dev.loupe.model.LayerNorm;
import dev.loupe.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The path expansion of an attention-only, pre-LN model ("A Mathematical Framework for Transformer
 * Circuits", Elhage et al., 2021): with the attention patterns A^{l,h} [T, T] frozen, the logits are a
 * sum of one term per end-to-end path through the residual stream:
 * <pre>
 *   logits = direct                                   (W_E[t] + P[pos]) → unembed
 *          + Σ_h        head term L{l}H{h}             A^{l,h} · LN(x0) · W_OV^{l,h} → unembed
 *          + Σ_{h1,h2}  virtual-head term L0H1→L1H2    A^{l2,h2} · LN(A^{l1,h1} · LN(x0) · W_OV^{h1}) · W_OV^{h2} → unembed
 *          + …          (longer chains in deeper models, one head per layer, layers increasing)
 *          + bias terms (see below)
 * </pre>
 * <b>LayerNorm, explicitly.</b> LayerNorm is not linear, but with its scale s = √(var + ε) frozen per
 * position from the same run (as TransformerLens does for attribution), LN(x) = (x − mean(x))/s ⊙ γ + β
 * is affine in x: the centring and division by the frozen s distribute over the sum of terms, and γ is
 * a diagonal linear map. So each ln1 and ln_final splits exactly; frozen scale and frozen pattern are
 * taken from one forward pass (hooks {@code ln1.hook_scale}, {@code attn.hook_pattern},
 * {@code ln_final.hook_scale}). With both frozen the expansion is exact: the terms sum to the model's
 * logits to float32 rounding.
 *
 * <p><b>Bias terms.</b> Because every pattern row sums to 1, a head turns the constant part of its
 * input, β^l (ln1's shift) and b_V^h, into a constant row (β^l W_V^h + b_V^h) W_O^h. Layer l's
 * {@code bias L{l}} term is that, summed over heads, plus the attention output bias b_O^l; it enters
 * the stream after layer l and, like the embedding, is read by later heads ({@code bias L0→L1H2}).
 * {@code ln_final bias} is β_f · W_U, the same at every position.
 *
 * <p>One sequence (batch 1). Post-LN models and models with MLPs are rejected: their stream is no
 * sum of linear paths.
 */
public final class PathExpansion {
    /** What a term is: the direct path, a one-head path, a path through two or more heads, a bias-rooted path. */
    public enum Kind { DIRECT, HEAD, VIRTUAL_HEAD, BIAS }

    /** One path: its label, kind, the heads it passes through (in order) and its residual-stream value [T, d_model]. */
    public record Term(String label, Kind kind, List<HeadId> heads, Tensor residual) {}

    /** Beyond this many terms ((1 + n_head)^n_layer grows fast) the expansion is refused. */
    public static final int MAX_TERMS = 20_000;

    private final Gpt gpt;
    private final List<Term> terms;
    private final double[] finalScale;   // [T]
    private final Tensor logits;         // [T, V]

    private PathExpansion(Gpt gpt, List<Term> terms, double[] finalScale, Tensor logits) {
        this.gpt = gpt;
        this.terms = Collections.unmodifiableList(terms);
        this.finalScale = finalScale;
        this.logits = logits;
    }

    /** Runs the model once on ids (one sequence) and expands its logits into paths. */
    public static PathExpansion compute(Gpt gpt, int[] ids) {
        PlainResidual.require(gpt, "path expansion");
        GptConfig c = gpt.config();
        if (c.norm() != GptConfig.Norm.PRE || c.mlp() != GptConfig.Mlp.NONE) {
            throw new LoupeException("path expansion needs an attention-only pre-LN model (mlp NONE, norm PRE); this one has mlp "
                    + c.mlp() + ", norm " + c.norm());
        }
        long count = 1;
        for (int l = 0; l < c.nLayer(); l++) count = count * (1 + c.nHead()) + 1;
        if (count > MAX_TERMS) {
            throw new LoupeException("path expansion of " + c.nLayer() + " layers × " + c.nHead() + " heads has " + count
                    + " terms, more than " + MAX_TERMS + ": use a smaller model");
        }
        int t = ids.length, d = c.dModel(), layers = c.nLayer();
        Gpt.CachedRun run = gpt.runWithCache(ids, 1, t, n -> n.equals("hook_embed") || n.equals("hook_pos_embed")
                || n.endsWith("ln1.hook_scale") || n.endsWith("attn.hook_pattern") || n.equals("ln_final.hook_scale"));
        ActivationCache cache = run.cache();

        List<double[][]> values = new ArrayList<>();
        List<Term> meta = new ArrayList<>();
        double[][] x0 = new double[t][d];
        Tensor emb = cache.get("hook_embed").reshape(t, d), pos = cache.get("hook_pos_embed").reshape(t, d);
        for (int i = 0; i < t; i++) for (int j = 0; j < d; j++) x0[i][j] = (double) emb.get(i, j) + pos.get(i, j);
        values.add(x0);
        meta.add(new Term("direct", Kind.DIRECT, List.of(), null));

        for (int l = 0; l < layers; l++) {
            Attention attn = gpt.blocks[l].attn;
            LayerNorm ln = gpt.blocks[l].ln1;
            double[] scale = column(cache.get(HookPoints.name(l, "ln1.hook_scale")).reshape(t), t);
            Tensor pattern = cache.get(HookPoints.name(l, "attn.hook_pattern")).reshape(c.nHead(), t, t);
            int existing = values.size();
            for (int k = 0; k < existing; k++) {
                double[][] normalised = normalise(values.get(k), scale, ln.weight);
                Term from = meta.get(k);
                for (int h = 0; h < c.nHead(); h++) {
                    values.add(headPath(normalised, pattern.select(0, h), attn.wV(h), attn.wO(h)));
                    List<HeadId> heads = new ArrayList<>(from.heads());
                    heads.add(new HeadId(l, h));
                    String label = from.kind() == Kind.DIRECT ? HeadId.name(l, h) : from.label() + "→" + HeadId.name(l, h);
                    Kind kind = from.kind() == Kind.BIAS ? Kind.BIAS : heads.size() == 1 ? Kind.HEAD : Kind.VIRTUAL_HEAD;
                    meta.add(new Term(label, kind, List.copyOf(heads), null));
                }
            }
            values.add(layerBias(attn, ln, t, d));
            meta.add(new Term("bias L" + l, Kind.BIAS, List.of(), null));
        }
        List<Term> out = new ArrayList<>(values.size());
        for (int k = 0; k < values.size(); k++) {
            Term m = meta.get(k);
            out.add(new Term(m.label(), m.kind(), m.heads(), toTensor(values.get(k))));
        }
        double[] fs = column(cache.get("ln_final.hook_scale").reshape(t), t);
        return new PathExpansion(gpt, out, fs, run.logits().reshape(t, c.vocabSize()));
    }

    /** The paths, in order: direct, then per layer the new paths through that layer's heads, then that layer's bias. */
    public List<Term> terms() {
        return terms;
    }

    /** The model's logits [T, V] from the pass whose patterns and scales were frozen. */
    public Tensor modelLogits() {
        return logits;
    }

    /** A term's contribution to the logits [T, V]: (term − mean)/s_f ⊙ γ_f · W_U. */
    public Tensor logits(Term term) {
        int t = finalScale.length;
        double[][] n = normalise(toDouble(term.residual()), finalScale, gpt.lnFinal.weight);
        return toTensor(unembed(n, t));
    }

    /** ln_final's shift β_f · W_U as logits [T, V] (the same row at every position): the last bias term. */
    public Tensor finalBiasLogits() {
        int t = finalScale.length, d = gpt.config().dModel();
        double[][] b = new double[t][d];
        for (int i = 0; i < t; i++) for (int j = 0; j < d; j++) b[i][j] = gpt.lnFinal.bias.get(j);
        return toTensor(unembed(b, t));
    }

    /** Σ of every term's logits plus {@link #finalBiasLogits} [T, V], accumulated in double: equals {@link #modelLogits}. */
    public Tensor sumOfLogits() {
        int t = finalScale.length, v = gpt.config().vocabSize();
        double[][] acc = new double[t][v];
        addInto(acc, finalBiasLogits());
        for (Term term : terms) addInto(acc, logits(term));
        return toTensor(acc);
    }

    /** The size of each term: the Frobenius norm of its logits [T, V] (same order as {@link #terms}). */
    public double[] logitNorms() {
        double[] out = new double[terms.size()];
        for (int k = 0; k < out.length; k++) out[k] = norm(logits(terms.get(k)));
        return out;
    }

    /** The Frobenius norm of ln_final's β·W_U logits. */
    public double finalBiasNorm() {
        return norm(finalBiasLogits());
    }

    // ---------------------------------------------------------------- the linear pieces

    /** (y − mean_row(y)) / s[row] ⊙ γ: LayerNorm's linear part with the scale frozen. */
    private static double[][] normalise(double[][] y, double[] scale, Tensor gamma) {
        int t = y.length, d = y[0].length;
        double[][] out = new double[t][d];
        for (int i = 0; i < t; i++) {
            double mean = 0;
            for (int j = 0; j < d; j++) mean += y[i][j];
            mean /= d;
            for (int j = 0; j < d; j++) out[i][j] = (y[i][j] - mean) / scale[i] * gamma.get(j);
        }
        return out;
    }

    /** A · (n · W_V) · W_O: one head's linear map with its pattern frozen. n [T, d], A [T, T]. */
    private static double[][] headPath(double[][] n, Tensor pattern, Tensor wV, Tensor wO) {
        int t = n.length, d = n[0].length, dh = wV.dim(1);
        double[][] v = new double[t][dh];
        for (int i = 0; i < t; i++)
            for (int j = 0; j < d; j++) {
                double x = n[i][j];
                if (x != 0) for (int k = 0; k < dh; k++) v[i][k] += x * wV.get(j, k);
            }
        double[][] z = new double[t][dh];
        for (int i = 0; i < t; i++)
            for (int s = 0; s <= i; s++) {
                double a = pattern.get(i, s);
                if (a != 0) for (int k = 0; k < dh; k++) z[i][k] += a * v[s][k];
            }
        double[][] out = new double[t][d];
        for (int i = 0; i < t; i++)
            for (int k = 0; k < dh; k++) {
                double x = z[i][k];
                if (x != 0) for (int j = 0; j < d; j++) out[i][j] += x * wO.get(k, j);
            }
        return out;
    }

    /** b_O + Σ_h (β W_V^h + b_V^h) W_O^h, broadcast to [T, d]. */
    private static double[][] layerBias(Attention attn, LayerNorm ln, int t, int d) {
        double[] row = new double[d];
        for (int j = 0; j < d; j++) row[j] = attn.proj.bias.get(j);
        for (int h = 0; h < attn.nHead; h++) {
            Tensor wV = attn.wV(h), wO = attn.wO(h), bV = attn.bias(2, h);
            for (int k = 0; k < attn.dHead; k++) {
                double v = bV.get(k);
                for (int j = 0; j < d; j++) v += (double) ln.bias.get(j) * wV.get(j, k);
                for (int j = 0; j < d; j++) row[j] += v * wO.get(k, j);
            }
        }
        double[][] out = new double[t][];
        for (int i = 0; i < t; i++) out[i] = row.clone();
        return out;
    }

    /** n [T, d] · W_U → [T, V] (W_U stored as [V, d]). */
    private double[][] unembed(double[][] n, int t) {
        Tensor wu = gpt.unembedding.weightFloat32().contiguous();   // a bfloat16 model: widened for this call only
        int v = wu.dim(0), d = wu.dim(1);
        float[] w = wu.contiguousData();
        double[][] out = new double[t][v];
        for (int i = 0; i < t; i++)
            for (int tok = 0; tok < v; tok++) {
                double s = 0;
                int o = tok * d;
                for (int j = 0; j < d; j++) s += n[i][j] * w[o + j];
                out[i][tok] = s;
            }
        return out;
    }

    private static double[] column(Tensor t1, int t) {
        double[] out = new double[t];
        for (int i = 0; i < t; i++) out[i] = t1.get(i);
        return out;
    }

    private static double[][] toDouble(Tensor x) {
        double[][] out = new double[x.dim(0)][x.dim(1)];
        for (int i = 0; i < out.length; i++) for (int j = 0; j < out[0].length; j++) out[i][j] = x.get(i, j);
        return out;
    }

    private static Tensor toTensor(double[][] x) {
        Tensor out = Tensor.zeros(x.length, x[0].length);
        for (int i = 0; i < x.length; i++) for (int j = 0; j < x[0].length; j++) out.set((float) x[i][j], i, j);
        return out;
    }

    private static void addInto(double[][] acc, Tensor x) {
        for (int i = 0; i < acc.length; i++) for (int j = 0; j < acc[0].length; j++) acc[i][j] += x.get(i, j);
    }

    private static double norm(Tensor x) {
        double s = 0;
        for (float f : x.contiguousData()) s += (double) f * f;
        return Math.sqrt(s);
    }
}
