package dev.loupe.analysis.circuits;

import dev.loupe.LoupeException;
import dev.loupe.model.MixtureOfExperts;
import dev.loupe.model.Mlp;
import dev.loupe.model.Routing;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.ops.Ops;

/**
 * An MLP linearised at one input: the Jacobian of MLP(x) = φ(x·W_in + b_in)·W_out + b_out with
 * respect to its input x [d_model] (the LayerNorm output the MLP reads). In the paper's column
 * convention it is W_out · diag(φ'(h)) · W_in; in the row convention of these weights
 * <pre>
 *   J = W_in · diag(φ'(h)) · W_out      [d_model, d_model]    J[i, j] = ∂MLP(x)_j / ∂x_i,   h = x·W_in + b_in
 * </pre>
 * kept factored as (W_in · diag(φ'(h))) · W_out with inner dimension d_mlp. For SwiGLU, post_k =
 * silu(g_k)·u_k depends on a gate and an up unit, so the inner dimension is 2·d_mlp: the gate half
 * weighted by silu'(g)·u, the up half by silu(g), both followed by W_out.
 *
 * <p>A mixture of experts is linearised per expert: expert e at x is W_in,e · diag(φ'(h_e)) · W_out,e
 * ({@link #atExpert}); with the routing of x held fixed, the mixture's Jacobian is the weighted sum
 * Σ_{e∈K(x)} w_e · J_e over the chosen experts ({@link #atFixedRouting}) — the part of the Jacobian
 * that flows through the experts; the router's own dependence on x (through w) is left out.
 */
public final class MlpLinearisation {
    private MlpLinearisation() {}

    /** J at x [d_model]. */
    public static FactoredMatrix at(Mlp mlp, Tensor x) {
        if (mlp.isMixture()) {
            throw new LoupeException("MLP linearisation: this MLP is a mixture of experts; linearise each expert (atExpert) "
                    + "or the chosen ones with the routing fixed (atFixedRouting)");
        }
        Tensor wIn = mlp.fc.weightFloat32(), wOut = mlp.proj.weightFloat32();   // a bfloat16 model: widened for this call
        int d = wIn.dim(0), hidden = wIn.dim(1), dMlp = wOut.dim(0);
        if (x.size() != d) throw new LoupeException("MLP linearisation: input has " + x.size() + " values, the MLP reads " + d);
        Tensor pre = Tensor.zeros(1, hidden), post = Tensor.zeros(1, dMlp), out = Tensor.zeros(1, d);
        mlp.forward(x.contiguous().reshape(1, d), pre, post, out);
        Tensor ones = Tensor.zeros(1, dMlp).fill(1f);
        Tensor slope = switch (mlp.kind) {   // ∂post/∂pre, one value per pre-activation unit (each feeds one post unit)
            case GELU -> Ops.geluBackward(pre, ones);
            case RELU -> Ops.reluBackward(pre, ones);
            case SWIGLU -> Ops.swigluBackward(pre, ones);
            case NONE -> throw new IllegalStateException();
        };
        Tensor left = Tensor.zeros(d, hidden);
        for (int i = 0; i < d; i++) for (int k = 0; k < hidden; k++) left.set(wIn.get(i, k) * slope.get(0, k), i, k);
        Tensor right = wOut;
        if (hidden != dMlp) {   // SwiGLU: gate and up rows both feed W_out
            right = Tensor.zeros(hidden, d);
            for (int k = 0; k < hidden; k++) for (int j = 0; j < d; j++) right.set(wOut.get(k % dMlp, j), k, j);
        }
        return new FactoredMatrix(left, right);
    }

    /** Expert e of a mixture, linearised at x [d_model]: W_in,e · diag(φ'(h_e)) · W_out,e [d_model, d_model]. */
    public static FactoredMatrix atExpert(MixtureOfExperts moe, int expert, Tensor x) {
        return at(moe.experts[expert], x);
    }

    /**
     * The mixture at x [d_model] with x's routing held fixed: Σ_{e∈K(x)} w_e · J_e, factored with the
     * chosen experts' inner dimensions side by side ([d_model, k·hidden] · [k·hidden, d_model]).
     */
    public static FactoredMatrix atFixedRouting(MixtureOfExperts moe, Tensor x) {
        int d = moe.gate.inFeatures();
        Routing r = moe.route(x.contiguous().reshape(1, d));
        int k = r.topK();
        FactoredMatrix[] parts = new FactoredMatrix[k];
        int inner = 0;
        for (int c = 0; c < k; c++) {
            parts[c] = atExpert(moe, r.expert(0, c), x);
            inner += parts[c].left().dim(1);
        }
        Tensor left = Tensor.zeros(d, inner), right = Tensor.zeros(inner, d);
        int at = 0;
        for (int c = 0; c < k; c++) {
            Tensor a = parts[c].left(), b = parts[c].right();
            float w = r.weights().get(0, c);
            for (int i = 0; i < d; i++) for (int m = 0; m < a.dim(1); m++) left.set(w * a.get(i, m), i, at + m);
            for (int m = 0; m < b.dim(0); m++) for (int j = 0; j < d; j++) right.set(b.get(m, j), at + m, j);
            at += a.dim(1);
        }
        return new FactoredMatrix(left, right);
    }
}
