package dev.loupe.sae;

import dev.loupe.tensor.Tensor;

import java.util.List;
import java.util.Map;

/**
 * Everything a {@link SaeTrainer} needs to continue exactly where it stopped.
 *
 * @param step          steps taken (= batches served by the store)
 * @param scale         the store's normalisation scale s
 * @param weights       W_enc, b_enc, W_dec, b_dec as trained (on scaled activations)
 * @param adamSteps     Adam's step count
 * @param firstMoments  Adam's m, by weight name
 * @param secondMoments Adam's v, by weight name
 * @param sinceFired    steps since each latent last fired
 * @param windowCounts  tokens each latent fired on in the current sampling window
 * @param windowTokens  tokens seen in the current sampling window
 * @param lastDensity   densities of the last complete window, or null
 * @param history       the training curve so far
 */
public record SaeTrainerState(long step, float scale, Map<String, Tensor> weights, long adamSteps,
                              Map<String, Tensor> firstMoments, Map<String, Tensor> secondMoments, int[] sinceFired,
                              int[] windowCounts, long windowTokens, float[] lastDensity, List<SaeTrainer.Point> history) {}
