package dev.loupe.model;

import dev.loupe.tensor.Tensor;

import java.util.Map;

/**
 * What training needs from a language model: its parameters and their gradients by name, and one
 * forward + backward pass of next-token cross-entropy on a batch.
 *
 * <p>Token batches are flat row-major int arrays of {@code batch × seqLen} ids; {@code targets[i]}
 * is the token that should follow {@code inputs[i]}.
 */
public interface TrainableModel {

    /** The configuration the model was built from. */
    GptConfig config();

    /**
     * The trainable tensors in GPT-2 names and orientation ({@link GptConfig#expectedShapes()}), in a
     * fixed order. The tensors are live: an optimizer updates them in place.
     */
    Map<String, Tensor> parameters();

    /** The gradient of each parameter, same keys, order and shapes as {@link #parameters()}; live. */
    Map<String, Tensor> gradients();

    /** Sets every gradient to zero. */
    void zeroGradients();

    /**
     * Forward and backward pass: returns the mean cross-entropy loss over all {@code batch × seqLen}
     * positions and ADDS d(loss)/d(parameter) into {@link #gradients()}.
     */
    float forwardBackward(int[] inputs, int[] targets, int batch, int seqLen);

    /**
     * The mixture-of-experts terms (aux, z, dropped slots) of the last {@link #forwardBackward}, whose
     * gradients it added; {@link RouterLosses#NONE} for a model without mixtures.
     */
    default RouterLosses routerLosses() {
        return RouterLosses.NONE;
    }

    /** Mean cross-entropy loss without touching the gradients (evaluation). */
    float loss(int[] inputs, int[] targets, int batch, int seqLen);
}
