package dev.loupe.analysis.circuits;

import dev.loupe.LoupeException;
import dev.loupe.model.Mlp;
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
 */
public final class MlpLinearisation {
    private MlpLinearisation() {}

    /** J at x [d_model]. */
    public static FactoredMatrix at(Mlp mlp, Tensor x) {
        Tensor wIn = mlp.fc.weight, wOut = mlp.proj.weight;
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
}
