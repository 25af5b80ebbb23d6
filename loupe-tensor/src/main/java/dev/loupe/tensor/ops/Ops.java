package dev.loupe.tensor.ops;

import dev.loupe.tensor.Tensor;

/**
 * The tensor kernels the model needs, forward and backward side by side. Every method has a plain
 * scalar twin in {@link ReferenceOps} that defines its meaning; see there for the formulas.
 *
 * <p>Unless stated otherwise, inputs may be any views and outputs are new contiguous tensors;
 * methods named {@code …Into} or {@code …Backward} that take output tensors accumulate into
 * contiguous tensors in place.
 */
public final class Ops {
    private Ops() {}

    public static Tensor add(Tensor a, Tensor b) { return ReferenceOps.add(a, b); }

    public static void addInto(Tensor acc, Tensor b) { ReferenceOps.addInto(acc, b); }

    public static void axpy(float alpha, Tensor x, Tensor y) { ReferenceOps.axpy(alpha, x, y); }

    public static Tensor hadamard(Tensor a, Tensor b) { return ReferenceOps.hadamard(a, b); }

    public static Tensor scale(Tensor a, float s) { return ReferenceOps.scale(a, s); }

    public static Tensor softmax(Tensor x, int axis) { return ReferenceOps.softmax(x, axis); }

    public static Tensor softmaxBackward(Tensor y, Tensor dy, int axis) { return ReferenceOps.softmaxBackward(y, dy, axis); }

    public static Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor meanOut, Tensor rstdOut) {
        return ReferenceOps.layerNorm(x, gamma, beta, eps, meanOut, rstdOut);
    }

    public static void layerNormBackward(Tensor dout, Tensor x, Tensor mean, Tensor rstd, Tensor gamma,
                                         Tensor dx, Tensor dgamma, Tensor dbeta) {
        ReferenceOps.layerNormBackward(dout, x, mean, rstd, gamma, dx, dgamma, dbeta);
    }

    public static Tensor gelu(Tensor x) { return ReferenceOps.gelu(x); }

    public static Tensor geluBackward(Tensor x, Tensor dout) { return ReferenceOps.geluBackward(x, dout); }

    public static Tensor relu(Tensor x) { return ReferenceOps.relu(x); }

    public static Tensor reluBackward(Tensor x, Tensor dout) { return ReferenceOps.reluBackward(x, dout); }

    public static double sum(Tensor x) { return ReferenceOps.sum(x); }

    public static double sumOfSquares(Tensor x) { return ReferenceOps.sumOfSquares(x); }

    public static Tensor sum(Tensor x, int axis) { return ReferenceOps.sum(x, axis); }

    public static Tensor mean(Tensor x, int axis) { return ReferenceOps.mean(x, axis); }

    public static Tensor max(Tensor x, int axis) { return ReferenceOps.max(x, axis); }

    public static int[] argmax(Tensor x) { return ReferenceOps.argmax(x); }

    public static Tensor gather(Tensor table, int[] ids) { return ReferenceOps.gather(table, ids); }

    public static void gatherBackward(Tensor dout, int[] ids, Tensor dtable) { ReferenceOps.gatherBackward(dout, ids, dtable); }
}
