package dev.loupe.analysis.transforms;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.Map;

/** Helpers shared by the weight transforms: deep copies of a model's weight map and the pre-LN check. */
final class WeightMaps {
    private WeightMaps() {}

    /** Every parameter of gpt, copied (GPT-2 names → new contiguous tensors). */
    static Map<String, Tensor> copy(Gpt gpt) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : gpt.parameters().entrySet()) out.put(e.getKey(), e.getValue().copy());
        return out;
    }

    static void requirePreLn(Gpt gpt, String what) {
        if (gpt.config().norm() == GptConfig.Norm.NONE) {
            throw new LoupeException(what + " does not apply: this model has no LayerNorm (norm none)");
        }
        if (gpt.config().norm() != GptConfig.Norm.PRE) {
            throw new LoupeException(what + " needs a pre-LN model: in a post-LN model the LayerNorm output is the residual "
                    + "stream itself, so it cannot be folded into the layers that read it");
        }
    }

    /** W ← diag(g)·W over the rows of a [d, n] weight (row j scaled by g[j], or divided when divide). */
    static void scaleRows(Tensor w, Tensor g, boolean divide) {
        int d = w.dim(0), n = w.dim(1);
        for (int j = 0; j < d; j++) {
            float s = g.get(j);
            if (divide && s == 0f) {
                throw new LoupeException("cannot unfold LayerNorm: its gain γ[" + j + "] is 0, so the folded weights lost that row");
            }
            for (int k = 0; k < n; k++) w.set(divide ? w.get(j, k) / s : w.get(j, k) * s, j, k);
        }
    }

    /** b ← b + sign·(β · W): β [d], W [d, n], b [n], accumulated in double. */
    static void addRowVectorProduct(Tensor b, Tensor beta, Tensor w, int sign) {
        int d = w.dim(0), n = w.dim(1);
        for (int k = 0; k < n; k++) {
            double s = 0;
            for (int j = 0; j < d; j++) s += (double) beta.get(j) * w.get(j, k);
            b.set((float) (b.get(k) + sign * s), k);
        }
    }
}
