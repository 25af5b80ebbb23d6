package dev.loupe.analysis.transforms;

import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Weight centring for pre-LN models (TransformerLens's {@code center_writing_weights} with
 * value-bias folding, {@code fold_value_biases}):
 * <ol>
 *   <li><b>Value biases into the output bias.</b> Each attention pattern row sums to 1, so head h's
 *       value bias always contributes the constant b_V^h·W_O^h: b_O ← b_O + Σ_h b_V^h W_O^h, b_V ← 0.</li>
 *   <li><b>Writing weights mean-free.</b> Every reader of the residual stream (ln_1, ln_2, ln_f)
 *       subtracts the mean over d_model first, so the mean component of what is written never matters:
 *       each row of W_pos, of every c_proj weight (attention W_O and MLP W_out) and every c_proj bias
 *       has its mean over d_model removed; W_E too when the embedding is untied (when tied, W_E is also
 *       W_U, whose mean is read by the logits, so it is left as is).</li>
 * </ol>
 * The log-probabilities are unchanged. Inverse: the removed means are added back and the value biases
 * taken out of b_O again.
 */
public final class WeightCentring {
    private WeightCentring() {}

    /** The centred model and its inverse. Rejects post-LN models. */
    public static Reversible centre(Gpt gpt) {
        WeightMaps.requirePreLn(gpt, "weight centring");
        GptConfig c = gpt.config();
        Map<String, Tensor> w = WeightMaps.copy(gpt);
        Map<String, Tensor> valueBiases = new LinkedHashMap<>();
        for (int l = 0; l < c.nLayer(); l++) {
            Tensor vb = valueBias(w, c, l);
            valueBiases.put("h." + l, vb.copy());
            WeightMaps.addRowVectorProduct(w.get("h." + l + ".attn.c_proj.bias"), vb, w.get("h." + l + ".attn.c_proj.weight"), +1);
            vb.fill(0f);
        }
        Map<String, double[]> means = new LinkedHashMap<>();
        for (String name : writers(c)) means.put(name, centreRows(w.get(name)));
        Gpt centred = Gpt.fromWeights(c, w);
        return new Reversible(centred, m -> uncentre(m, means, valueBiases));
    }

    /** The names of the writing weights this transform centres. */
    static List<String> writers(GptConfig c) {
        List<String> out = new ArrayList<>();
        if (!c.tied()) out.add("wte.weight");
        if (c.positional() == GptConfig.Positional.LEARNED) out.add("wpe.weight");
        for (int l = 0; l < c.nLayer(); l++) {
            out.add("h." + l + ".attn.c_proj.weight");
            out.add("h." + l + ".attn.c_proj.bias");
            if (c.isMoeLayer(l)) {                         // each expert writes; the mixture is Σ w_e·Expert_e
                for (int e = 0; e < c.moe().experts(); e++) {
                    out.add("h." + l + ".mlp.experts." + e + ".c_proj.weight");
                    out.add("h." + l + ".mlp.experts." + e + ".c_proj.bias");
                }
            } else if (c.mlp() != GptConfig.Mlp.NONE) {
                out.add("h." + l + ".mlp.c_proj.weight");
                out.add("h." + l + ".mlp.c_proj.bias");
            }
        }
        return out;
    }

    /** b_V of layer l: the last d_model entries of c_attn's bias (a view into the map's tensor). */
    private static Tensor valueBias(Map<String, Tensor> w, GptConfig c, int l) {
        int d = c.dModel();
        return w.get("h." + l + ".attn.c_attn.bias").slice(0, 2 * d, 3 * d);
    }

    /** Removes each row's mean over the last axis (a vector is one row); returns the means. */
    private static double[] centreRows(Tensor t) {
        Tensor m = t.rank() == 1 ? t.reshape(1, t.dim(0)) : t;
        int rows = m.dim(0), n = m.dim(1);
        double[] means = new double[rows];
        for (int i = 0; i < rows; i++) {
            double s = 0;
            for (int j = 0; j < n; j++) s += m.get(i, j);
            means[i] = s / n;
            for (int j = 0; j < n; j++) m.set((float) (m.get(i, j) - means[i]), i, j);
        }
        return means;
    }

    private static Gpt uncentre(Gpt centred, Map<String, double[]> means, Map<String, Tensor> valueBiases) {
        GptConfig c = centred.config();
        Map<String, Tensor> w = WeightMaps.copy(centred);
        for (Map.Entry<String, double[]> e : means.entrySet()) {
            Tensor t = w.get(e.getKey());
            Tensor m = t.rank() == 1 ? t.reshape(1, t.dim(0)) : t;
            for (int i = 0; i < m.dim(0); i++)
                for (int j = 0; j < m.dim(1); j++) m.set((float) (m.get(i, j) + e.getValue()[i]), i, j);
        }
        for (int l = 0; l < c.nLayer(); l++) {
            Tensor vb = valueBiases.get("h." + l);
            WeightMaps.addRowVectorProduct(w.get("h." + l + ".attn.c_proj.bias"), vb, w.get("h." + l + ".attn.c_proj.weight"), -1);
            vb.copyInto(valueBias(w, c, l));
        }
        return Gpt.fromWeights(c, w);
    }
}
