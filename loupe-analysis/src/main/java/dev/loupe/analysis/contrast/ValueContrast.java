package dev.loupe.analysis.contrast;

import dev.loupe.analysis.trace.PlainMath;
import dev.loupe.model.Activations;
import dev.loupe.model.Attention;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Seed 001's "apple" question: the same token in two contexts, what does each attention head's
 * value path send? For each context the model runs once; then, at the token's position, per layer l
 * and head h:
 *
 * <pre>
 *   v      = a·W_V^h + b_V^h            // [d_head]; a = the row attention reads (LN1(x) pre-LN, x post-LN)
 *   OV     = v·W_O^h                     // [d_model]; what this head would write into the stream of a token
 *                                        //   that attends fully to this one (b_O is shared by all heads, left out)
 *   cos    = OV_A·OV_B / (|OV_A|·|OV_B|)
 *   pushes = u·W_Uᵀ                      // [V] direct logit effect; u = OV, or through LN_f:
 *                                        //   u = γ_f ⊙ (OV − mean(OV))  (TransformerLens's folded W_U; the
 *                                        //   positive 1/σ of the final LayerNorm does not change the ranking)
 * </pre>
 * and after every block the cosine between the two contexts' residual streams at the token.
 *
 * @param heads             one entry per (layer, head), layer-major
 * @param residualCosines   cos(x_A, x_B) at the token for the embedding (index 0) and after each block
 * @param throughLnFinal    whether the pushes were read through LN_f's centring and γ
 */
public record ValueContrast(List<Head> heads, double[] residualCosines, boolean throughLnFinal) {

    /** A token and how much a vector raises (positive) or lowers (negative) its logit. */
    public record Push(int token, double logit) {}

    /** The two contexts' value path through one head. */
    public record Head(int layer, int head, double[] valueA, double[] valueB, double[] ovA, double[] ovB,
                       double valueCosine, double ovCosine, List<Push> upA, List<Push> downA, List<Push> upB,
                       List<Push> downB) {}

    /**
     * Compares the token at {@code posA} of context {@code idsA} with the one at {@code posB} of
     * {@code idsB}, listing {@code top} tokens pushed up and down per head.
     */
    public static ValueContrast compute(Gpt gpt, int[] idsA, int posA, int[] idsB, int posB, int top, boolean throughLnFinal) {
        dev.loupe.analysis.circuits.PlainResidual.require(gpt, "the value contrast (OV·W_U per head)");
        Side a = Side.read(gpt, idsA, posA), b = Side.read(gpt, idsB, posB);
        GptConfig c = gpt.config();
        throughLnFinal &= gpt.lnFinal != null;    // no LayerNorm: W_U reads the OV output as it is
        double[] gamma = throughLnFinal ? PlainMath.vector(gpt.lnFinal.weight) : null;
        List<Head> heads = new ArrayList<>();
        for (int l = 0; l < c.nLayer(); l++) {
            Attention attn = gpt.blocks[l].attn;
            for (int h = 0; h < c.nHead(); h++) {
                double[] va = value(attn, h, a.attnInput[l]), vb = value(attn, h, b.attnInput[l]);
                double[] oa = ov(attn, h, va), ob = ov(attn, h, vb);
                double[] za = directLogits(gpt, oa, gamma, throughLnFinal), zb = directLogits(gpt, ob, gamma, throughLnFinal);
                heads.add(new Head(l, h, va, vb, oa, ob, PlainMath.cosine(va, vb), PlainMath.cosine(oa, ob),
                        extremes(za, top, true), extremes(za, top, false), extremes(zb, top, true), extremes(zb, top, false)));
            }
        }
        double[] cos = new double[c.nLayer() + 1];
        for (int l = 0; l <= c.nLayer(); l++) cos[l] = PlainMath.cosine(a.residual[l], b.residual[l]);
        return new ValueContrast(List.copyOf(heads), cos, throughLnFinal);
    }

    /** v = a·W_V^h + b_V^h. */
    static double[] value(Attention attn, int h, double[] a) {
        Tensor w = attn.wV(h), bias = attn.bias(2, h);
        double[] v = new double[attn.dHead];
        for (int j = 0; j < v.length; j++) {
            double s = bias.get(j);
            for (int k = 0; k < a.length; k++) s += a[k] * w.get(k, j);
            v[j] = s;
        }
        return v;
    }

    /** OV = v·W_O^h. */
    static double[] ov(Attention attn, int h, double[] v) {
        Tensor w = attn.wO(h);
        double[] o = new double[w.dim(1)];
        for (int j = 0; j < o.length; j++) {
            double s = 0;
            for (int k = 0; k < v.length; k++) s += v[k] * w.get(k, j);
            o[j] = s;
        }
        return o;
    }

    /** u·W_Uᵀ [V], with u = OV or γ_f ⊙ (OV − mean(OV)). */
    static double[] directLogits(Gpt gpt, double[] ov, double[] gamma, boolean throughLnFinal) {
        double[] u = ov.clone();
        if (throughLnFinal) {
            double mean = Arrays.stream(ov).average().orElse(0);
            for (int k = 0; k < u.length; k++) u[k] = gamma[k] * (ov[k] - mean);
        }
        Tensor w = gpt.unembedding.weightFloat32().contiguous();   // a bfloat16 model: widened for this call
        float[] wd = w.data();
        int off = w.offset(), v = w.dim(0), d = w.dim(1);
        double[] z = new double[v];
        for (int j = 0; j < v; j++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += u[k] * wd[off + j * d + k];
            z[j] = s;
        }
        return z;
    }

    private static List<Push> extremes(double[] z, int n, boolean up) {
        Comparator<Integer> order = Comparator.comparingDouble(j -> z[j]);
        return IntStream.range(0, z.length).boxed().sorted(up ? order.reversed() : order).limit(n)
                .map(j -> new Push(j, z[j])).toList();
    }

    /** What one context's forward pass leaves at the token's position. */
    private record Side(double[][] attnInput, double[][] residual) {
        static Side read(Gpt gpt, int[] ids, int pos) {
            if (pos < 0 || pos >= ids.length) throw new IllegalArgumentException("position " + pos + " outside [0, " + ids.length + ")");
            Activations act = gpt.forward(ids, 1, ids.length);   // the model's workspace: copy what we need now
            int n = gpt.blocks.length;
            double[][] in = new double[n][], res = new double[n + 1][];
            for (int l = 0; l < n; l++) {
                Tensor a = gpt.blocks[l].norm == GptConfig.Norm.PRE ? act.blocks[l].attnIn : act.residual.pre(l);
                in[l] = PlainMath.vector(a.select(0, pos));
            }
            for (int l = 0; l <= n; l++) res[l] = PlainMath.vector(act.residual.pre(l).select(0, pos));
            return new Side(in, res);
        }
    }
}
