package dev.loupe.sae;

import dev.loupe.LoupeException;

/**
 * How an SAE is trained (SAELens' option names in brackets).
 *
 * @param architecture         standard or topk [architecture]
 * @param dSae                 number of latents [d_sae]
 * @param k                    latents per token for topk [k]
 * @param l1Coefficient        λ of the decoder-norm-weighted L1 penalty (standard) [l1_coefficient]
 * @param lr                   Adam's learning rate [lr]
 * @param lrWarmUpSteps        linear warm-up of the learning rate [lr_warm_up_steps]
 * @param l1WarmUpSteps        linear warm-up of λ from 0 [l1_warm_up_steps]
 * @param trainingTokens       tokens to train on; steps = trainingTokens / trainBatchTokens [training_tokens]
 * @param trainBatchTokens     tokens per step [train_batch_size_tokens]
 * @param normalizeActivations "none" or "expected_average_only_in" [normalize_activations]
 * @param deadFeatureWindow    a latent silent for more steps than this is dead (AuxK, reports) [dead_feature_window]
 * @param featureSamplingWindow steps per feature-density window (sparsity file, resampling) [feature_sampling_window]
 * @param resampleDead         standard only: re-initialise latents silent for a whole sampling window
 *                             (Anthropic, "Towards Monosemanticity")
 * @param auxKCoefficient      α of the TopK auxiliary loss (Gao et al.: 1/32)
 * @param bDecInit             "geometric_median", "mean" or "zeros" [b_dec_init_method]
 * @param adamBeta1            Adam β₁ [adam_beta1]
 * @param adamBeta2            Adam β₂ [adam_beta2]
 * @param seed                 initialisation, shuffling and resampling seed [seed]
 * @param checkpointEvery      steps between checkpoints (0 = only at the end)
 */
public record SaeTrainingSettings(Architecture architecture, int dSae, int k, double l1Coefficient, double lr,
                                  int lrWarmUpSteps, int l1WarmUpSteps, long trainingTokens, int trainBatchTokens,
                                  String normalizeActivations, int deadFeatureWindow, int featureSamplingWindow,
                                  boolean resampleDead, double auxKCoefficient, String bDecInit, double adamBeta1,
                                  double adamBeta2, long seed, int checkpointEvery) {
    public SaeTrainingSettings {
        if (architecture == Architecture.JUMPRELU) throw new LoupeException("--architecture jumprelu is inference-only; train standard or topk");
        if (dSae < 1) throw new LoupeException("d_sae must be positive, got " + dSae);
        if (architecture == Architecture.TOPK && (k < 1 || k > dSae)) throw new LoupeException("--k must be in 1.." + dSae + ", got " + k);
        if (!(l1Coefficient >= 0)) throw new LoupeException("--l1-coefficient must not be negative, got " + l1Coefficient);
        if (!(lr > 0) || Double.isInfinite(lr)) throw new LoupeException("--lr must be positive, got " + lr);
        if (lrWarmUpSteps < 0 || l1WarmUpSteps < 0) throw new LoupeException("warm-up steps must not be negative");
        if (trainBatchTokens < 1) throw new LoupeException("--train-batch-size-tokens must be positive");
        if (trainingTokens < trainBatchTokens) {
            throw new LoupeException("--training-tokens " + trainingTokens + " is less than one batch of " + trainBatchTokens);
        }
        if (!normalizeActivations.equals(SaeConfig.NORMALIZE_NONE) && !normalizeActivations.equals(SaeConfig.NORMALIZE_EXPECTED_AVERAGE)) {
            throw new LoupeException("--normalize-activations must be none or expected_average_only_in, got " + normalizeActivations);
        }
        if (deadFeatureWindow < 1 || featureSamplingWindow < 1) throw new LoupeException("feature windows must be at least 1 step");
        if (resampleDead && architecture != Architecture.STANDARD) {
            throw new LoupeException("--resample-dead applies to the standard architecture (topk revives latents with AuxK)");
        }
        if (!bDecInit.equals("geometric_median") && !bDecInit.equals("mean") && !bDecInit.equals("zeros")) {
            throw new LoupeException("--b-dec-init-method must be geometric_median, mean or zeros, got " + bDecInit);
        }
        if (checkpointEvery < 0) throw new LoupeException("--checkpoint-every must not be negative");
    }

    /** Number of optimisation steps. */
    public long steps() {
        return trainingTokens / trainBatchTokens;
    }

    /** Whether the decoder rows are kept at unit norm (topk: yes, with the gradient's parallel part removed; standard: no, the L1 term weighs by the norms). */
    public boolean unitNormDecoder() {
        return architecture == Architecture.TOPK;
    }
}
