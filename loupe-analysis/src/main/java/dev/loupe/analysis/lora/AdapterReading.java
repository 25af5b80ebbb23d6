package dev.loupe.analysis.lora;

import dev.loupe.analysis.circuits.FactoredMatrix;
import dev.loupe.analysis.circuits.HeadCircuits;
import dev.loupe.model.Gpt;
import dev.loupe.model.lora.LoraAdapter;
import dev.loupe.model.lora.LoraModel;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.ops.Ops;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * A LoRA adapter read as circuits: what the low-rank update changed, in the terms of
 * {@link dev.loupe.analysis.circuits}.
 * <ul>
 *   <li>per adapted module, the singular values of ΔW = s·(B·A)ᵀ [in, out] (at most r of them) and
 *       its effective rank exp(−Σ pᵢ ln pᵢ), pᵢ = σᵢ / Σσ (Roy &amp; Vetterli, 2007): 1 when one
 *       direction carries the whole update, r when all r are used equally;</li>
 *   <li>per head, ‖W′_OV − W_OV‖_F and ‖W′_QK − W_QK‖_F (absolute and relative to the base head's
 *       norm) and the OV copying score before and after, most-changed heads first;</li>
 *   <li>on a probe text, the tokens whose logits the update moves most: the mean over positions of
 *       the change of the centred logits (each position's logits minus their mean, since softmax
 *       ignores a shift).</li>
 * </ul>
 */
public final class AdapterReading {
    private AdapterReading() {}

    /** The spectrum of one module's update. */
    public record ModuleUpdate(String module, double[] singularValues, double effectiveRank, double norm, double relativeNorm) {}

    /** How one head's circuits changed. */
    public record HeadChange(int layer, int head, double ovChange, double ovRelative, double qkChange, double qkRelative,
                             double copyingBefore, double copyingAfter) {}

    /** A token and the mean change of its centred logit on the probe text. */
    public record TokenShift(int token, double change) {}

    /** The whole reading: modules in layer order, heads by descending OV change, tokens raised and lowered most. */
    public record Result(List<ModuleUpdate> modules, List<HeadChange> heads, List<TokenShift> raised, List<TokenShift> lowered) {}

    /**
     * Reads {@code lora} (adapters on a frozen copy of the base weights). {@code probe} [T] is the
     * text the logit change is measured on; {@code top} tokens are kept on each side.
     */
    public static Result read(LoraModel lora, int[] probe, int top) {
        Gpt base = Gpt.frozen(lora.config(), lora.model().parameters());   // the same weights without the adapters
        Gpt merged = Gpt.fromWeights(lora.config(), lora.mergedWeights());
        List<ModuleUpdate> modules = new ArrayList<>();
        for (Map.Entry<String, LoraAdapter> e : lora.adapters().entrySet()) {
            LoraAdapter a = e.getValue();
            FactoredMatrix delta = new FactoredMatrix(Ops.scale(a.a.transpose(0, 1).contiguous(), a.scale()),
                    a.b.transpose(0, 1).contiguous());                                       // [in, r]·[r, out]
            double[] sv = delta.svd().singularValues();
            double norm = delta.frobeniusNorm();
            double baseNorm = frobenius(base.parameters().get(e.getKey() + ".weight"));
            modules.add(new ModuleUpdate(e.getKey(), sv, effectiveRank(sv), norm, baseNorm == 0 ? Double.NaN : norm / baseNorm));
        }
        return new Result(modules, heads(new HeadCircuits(base), new HeadCircuits(merged)),
                shifts(base, merged, probe, top, true), shifts(base, merged, probe, top, false));
    }

    /** exp of the entropy of σ / Σσ; 0 for the zero update. */
    public static double effectiveRank(double[] sv) {
        double sum = 0;
        for (double s : sv) sum += s;
        if (sum == 0) return 0;
        double h = 0;
        for (double s : sv) {
            double p = s / sum;
            if (p > 0) h -= p * Math.log(p);
        }
        return Math.exp(h);
    }

    static List<HeadChange> heads(HeadCircuits before, HeadCircuits after) {
        List<HeadChange> out = new ArrayList<>();
        for (int l = 0; l < before.layers(); l++) {
            for (int h = 0; h < before.heads(); h++) {
                FactoredMatrix ov0 = before.ov(l, h), ov1 = after.ov(l, h), qk0 = before.qk(l, h), qk1 = after.qk(l, h);
                double ov = difference(ov1, ov0).frobeniusNorm(), qk = difference(qk1, qk0).frobeniusNorm();
                out.add(new HeadChange(l, h, ov, ov / ov0.frobeniusNorm(), qk, qk / qk0.frobeniusNorm(),
                        before.ovCopyingScore(l, h), after.ovCopyingScore(l, h)));
            }
        }
        out.sort(Comparator.comparingDouble(HeadChange::ovChange).reversed());
        return out;
    }

    /** X·Y − U·V as one factored matrix [X | −U]·[Y ; V] of inner dimension r₁ + r₂ (no d × d product formed). */
    static FactoredMatrix difference(FactoredMatrix p, FactoredMatrix q) {
        int m = p.rows(), n = p.columns(), r1 = p.innerDim(), r2 = q.innerDim();
        Tensor left = Tensor.zeros(m, r1 + r2), right = Tensor.zeros(r1 + r2, n);
        for (int i = 0; i < m; i++) {
            for (int k = 0; k < r1; k++) left.set(p.left().get(i, k), i, k);
            for (int k = 0; k < r2; k++) left.set(-q.left().get(i, k), i, r1 + k);
        }
        for (int j = 0; j < n; j++) {
            for (int k = 0; k < r1; k++) right.set(p.right().get(k, j), k, j);
            for (int k = 0; k < r2; k++) right.set(q.right().get(k, j), r1 + k, j);
        }
        return new FactoredMatrix(left, right);
    }

    static List<TokenShift> shifts(Gpt base, Gpt merged, int[] probe, int top, boolean raised) {
        int v = base.config().vocabSize(), t = probe.length;
        float[] l0 = base.logits(probe, 1, t).toArray(), l1 = merged.logits(probe, 1, t).toArray();
        double[] mean = new double[v];
        for (int p = 0; p < t; p++) {
            double c = 0;
            for (int j = 0; j < v; j++) c += l1[p * v + j] - l0[p * v + j];
            c /= v;
            for (int j = 0; j < v; j++) mean[j] += (l1[p * v + j] - l0[p * v + j] - c) / t;
        }
        List<TokenShift> all = new ArrayList<>();
        for (int j = 0; j < v; j++) all.add(new TokenShift(j, mean[j]));
        Comparator<TokenShift> by = Comparator.comparingDouble(TokenShift::change);
        all.sort(raised ? by.reversed() : by);
        return List.copyOf(all.subList(0, Math.min(top, v)));
    }

    private static double frobenius(Tensor w) {
        double s = 0;
        for (float x : w.toArray()) s += (double) x * x;
        return Math.sqrt(s);
    }
}
