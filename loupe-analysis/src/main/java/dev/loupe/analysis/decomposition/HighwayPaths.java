package dev.loupe.analysis.decomposition;

import dev.loupe.model.ActivationCache;
import dev.loupe.model.GptConfig;
import dev.loupe.model.HighwaySettings;
import dev.loupe.model.HookPoints;
import dev.loupe.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The paths of a highway-gated residual stream (SPEC §"Variants"), with the gates of one run held
 * fixed. Number the sublayers s = 0, 1, … in the order they act (attention then MLP of each block).
 * Sublayer s reads x_s, writes F_s and has a write gate G_s and a carry gate C_s:
 * <pre>
 *   x_{s+1} = G_s⊙F_s + C_s⊙x_s
 *   highway          G_s = T_s,  C_s = 1 − T_s
 *   gated_residual   G_s = T_s,  C_s = 1
 *   plain sublayer   G_s = 1,    C_s = 1
 * </pre>
 * Unrolled, the final stream is a sum over writers, each scaled by its own gate and by the carry
 * gates of every later sublayer (the embedding is a writer before sublayer 0, with G = 1):
 * <pre>
 *   x_L = (Π_{s} C_s)⊙x_0 + Σ_s F_s ⊙ G_s ⊙ Π_{s' > s} C_{s'}          // [T, d_model]
 * </pre>
 * {@link #factor} gives each writer's multiplier G_s ⊙ Π_{s'>s} C_{s'} [T, d_model], which
 * {@link ResidualDecomposition} applies to every head, MLP and bias term (F_s is linear in them).
 *
 * <p>Shares, per sublayer and position t, split a stream into two parts by projection onto it, so
 * the two shares add to exactly 1 (either may be negative when the parts point against each other):
 * <ul>
 *   <li>local, at the sublayer: transform = ⟨G⊙F, y⟩/‖y‖², carry = ⟨C⊙x, y⟩/‖y‖² with y = x_{s+1};</li>
 *   <li>final, at the last stream: {@link #finalShare} = ⟨F_s ⊙ factor_s, x_L⟩/‖x_L‖², what of the
 *       final stream arrived through sublayer s's transform path; with the embedding's
 *       {@link #embedFinalShare} these add to 1 over all sublayers.</li>
 * </ul>
 */
public final class HighwayPaths {
    /** One sublayer: block {@code layer}'s attention ({@code mlp} false) or MLP; gated or plain. */
    public record Sublayer(int layer, boolean mlp, boolean gated) {
        /** "L3 attn", "L3 mlp". */
        public String label() {
            return "L" + layer + (mlp ? " mlp" : " attn");
        }
    }

    private final List<Sublayer> sublayers;
    private final Tensor[] factors;      // per sublayer [T, d]
    private final Tensor embedFactor;    // [T, d]
    private final double[][] meanGate, transformShare, carryShare, finalShare; // [sublayer][T]
    private final double[] embedFinalShare;                                    // [T]

    private HighwayPaths(List<Sublayer> sublayers, Tensor[] factors, Tensor embedFactor, double[][] meanGate,
                         double[][] transformShare, double[][] carryShare, double[][] finalShare, double[] embedFinalShare) {
        this.sublayers = List.copyOf(sublayers);
        this.factors = factors;
        this.embedFactor = embedFactor;
        this.meanGate = meanGate;
        this.transformShare = transformShare;
        this.carryShare = carryShare;
        this.finalShare = finalShare;
        this.embedFinalShare = embedFinalShare;
    }

    /**
     * Runs a highway-gated model once on one sequence ids [T] and returns its paths; a model
     * without gates is a {@link dev.loupe.LoupeException} saying so.
     */
    public static HighwayPaths compute(dev.loupe.model.Gpt gpt, int[] ids) {
        GptConfig c = gpt.config();
        if (c.highway() == null) {
            throw new dev.loupe.LoupeException("this model has no highway gates (config.json has no loupe.highway): its sublayers "
                    + "add plainly, every gate is 1; train one with 'loupe train --highway attn,mlp'");
        }
        ActivationCache cache = gpt.runWithCache(ids, 1, ids.length, hooks()).cache();
        return of(c, cache, ids.length);
    }

    /** The hook points {@link #of} reads from a cache of one sequence. */
    public static Predicate<String> hooks() {
        return n -> n.endsWith("hook_attn_gate") || n.endsWith("hook_mlp_gate") || n.endsWith("hook_attn_out")
                || n.endsWith("hook_mlp_out") || n.endsWith("hook_resid_pre") || n.endsWith("hook_resid_mid")
                || n.endsWith("hook_resid_post");
    }

    /**
     * The paths of one sequence of {@code t} positions from a cache holding at least {@link #hooks()}
     * (batch 1). A model without highway gates gives factors of 1 (a plain sum).
     */
    public static HighwayPaths of(GptConfig c, ActivationCache cache, int t) {
        int d = c.dModel();
        HighwaySettings hw = c.highway();
        boolean highway = hw != null && hw.mode() == HighwaySettings.Mode.HIGHWAY;
        List<Sublayer> subs = new ArrayList<>();
        for (int l = 0; l < c.nLayer(); l++) {
            subs.add(new Sublayer(l, false, hw != null && hw.gates(HighwaySettings.Sublayer.ATTN)));
            if (c.mlp() != GptConfig.Mlp.NONE) subs.add(new Sublayer(l, true, hw != null && hw.gates(HighwaySettings.Sublayer.MLP)));
        }
        int n = subs.size();
        Tensor[] gates = new Tensor[n];                       // [T, w] or null (plain)
        for (int s = 0; s < n; s++) {
            Sublayer sub = subs.get(s);
            if (sub.gated) {
                Tensor g = cache.get(HookPoints.name(sub.layer, sub.mlp ? "hook_mlp_gate" : "hook_attn_gate"));
                gates[s] = g.reshape(t, g.dim(2));
            }
        }
        // factor_s = G_s ⊙ P_s with P_s = Π_{s' > s} C_{s'}, accumulated from the last sublayer down
        Tensor[] factors = new Tensor[n];
        double[][] carryProduct = new double[t][d];
        for (double[] row : carryProduct) java.util.Arrays.fill(row, 1.0);
        for (int s = n - 1; s >= 0; s--) {
            Tensor f = Tensor.zeros(t, d);
            for (int i = 0; i < t; i++) {
                for (int j = 0; j < d; j++) {
                    double g = gate(gates[s], i, j);
                    f.set((float) (g * carryProduct[i][j]), i, j);
                    if (highway && gates[s] != null) carryProduct[i][j] *= 1 - g;
                }
            }
            factors[s] = f;
        }
        Tensor embed = Tensor.zeros(t, d);
        for (int i = 0; i < t; i++) for (int j = 0; j < d; j++) embed.set((float) carryProduct[i][j], i, j);

        double[][] mean = new double[n][t], transform = new double[n][t], carry = new double[n][t], fin = new double[n][t];
        double[] embedFin = new double[t];
        Tensor last = n == 0 ? null : stream(cache, subs.get(n - 1), false, t, d);
        for (int s = 0; s < n; s++) {
            Sublayer sub = subs.get(s);
            Tensor x = stream(cache, sub, true, t, d), y = stream(cache, sub, false, t, d);
            Tensor out = cache.get(HookPoints.name(sub.layer, sub.mlp ? "hook_mlp_out" : "hook_attn_out")).reshape(t, d);
            for (int i = 0; i < t; i++) {
                double gs = 0, written = 0, carried = 0, yy = 0, survived = 0, ll = 0;
                for (int j = 0; j < d; j++) {
                    double g = gate(gates[s], i, j), c2 = highway && gates[s] != null ? 1 - g : 1;
                    gs += g;
                    double yv = y.get(i, j);
                    written += g * out.get(i, j) * yv;
                    carried += c2 * x.get(i, j) * yv;
                    yy += yv * yv;
                    double lv = last.get(i, j);
                    survived += out.get(i, j) * factors[s].get(i, j) * lv;
                    ll += lv * lv;
                }
                mean[s][i] = gs / d;
                transform[s][i] = yy == 0 ? 0 : written / yy;
                carry[s][i] = yy == 0 ? 0 : carried / yy;
                fin[s][i] = ll == 0 ? 0 : survived / ll;
            }
        }
        if (n > 0) {
            Tensor x0 = stream(cache, subs.get(0), true, t, d);
            for (int i = 0; i < t; i++) {
                double e = 0, ll = 0;
                for (int j = 0; j < d; j++) {
                    e += x0.get(i, j) * embed.get(i, j) * last.get(i, j);
                    ll += last.get(i, j) * last.get(i, j);
                }
                embedFin[i] = ll == 0 ? 0 : e / ll;
            }
        }
        return new HighwayPaths(subs, factors, embed, mean, transform, carry, fin, embedFin);
    }

    /** G at row i, column j: 1 for a plain sublayer, T broadcast over d for a scalar gate. */
    private static double gate(Tensor g, int i, int j) {
        if (g == null) return 1;
        return g.get(i, g.dim(1) == 1 ? 0 : j);
    }

    /** The stream a sublayer reads ({@code input}) or leaves [T, d]. */
    private static Tensor stream(ActivationCache cache, Sublayer s, boolean input, int t, int d) {
        String name = s.mlp ? (input ? "hook_resid_mid" : "hook_resid_post") : (input ? "hook_resid_pre" : "hook_resid_mid");
        return cache.get(HookPoints.name(s.layer, name)).reshape(t, d);
    }

    /** The sublayers in the order they act. */
    public List<Sublayer> sublayers() {
        return sublayers;
    }

    /** Index of block {@code layer}'s attention or MLP sublayer in {@link #sublayers()}. */
    public int index(int layer, boolean mlp) {
        for (int s = 0; s < sublayers.size(); s++) {
            if (sublayers.get(s).layer == layer && sublayers.get(s).mlp == mlp) return s;
        }
        throw new IllegalArgumentException("no " + (mlp ? "MLP" : "attention") + " sublayer in layer " + layer);
    }

    /** The multiplier G_s ⊙ Π_{s'>s} C_{s'} [T, d_model] of what sublayer {@code s} writes, as it reaches the final stream. */
    public Tensor factor(int s) {
        return factors[s];
    }

    /** The embedding's multiplier Π_s C_s [T, d_model]. */
    public Tensor embedFactor() {
        return embedFactor;
    }

    /** Mean of the gate over d_model at each position [sublayer][T] (1 for a plain sublayer): "how much did this token ask for transformation". */
    public double[][] meanGate() {
        return meanGate;
    }

    /** Per position [T], the mean gate over every gated sublayer: which tokens asked for transformation (NaN without gated sublayers). */
    public double[] tokenGate() {
        int t = embedFinalShare.length;
        double[] out = new double[t];
        int gated = 0;
        for (int s = 0; s < sublayers.size(); s++) {
            if (!sublayers.get(s).gated) continue;
            gated++;
            for (int i = 0; i < t; i++) out[i] += meanGate[s][i];
        }
        for (int i = 0; i < t; i++) out[i] = gated == 0 ? Double.NaN : out[i] / gated;
        return out;
    }

    /** Local transform share ⟨G⊙F, y⟩/‖y‖² [sublayer][T]. */
    public double[][] transformShare() {
        return transformShare;
    }

    /** Local carry share ⟨C⊙x, y⟩/‖y‖² [sublayer][T]; transform + carry = 1. */
    public double[][] carryShare() {
        return carryShare;
    }

    /** Share of the final stream that arrived through sublayer s's transform path [sublayer][T]. */
    public double[][] finalShare() {
        return finalShare;
    }

    /** Share of the final stream carried from the embedding [T]. */
    public double[] embedFinalShare() {
        return embedFinalShare;
    }
}
