package dev.loupe.sae;

/**
 * The training objective's terms for one batch of N tokens (SAELens' definitions, mean over tokens):
 * <pre>
 *   mse  = (1/N) Σ_n ‖x̂_n − x_n‖²
 *   l1   = λ · (1/N) Σ_n Σ_j f_nj · ‖W_dec[j]‖          standard (Anthropic, April 2024)
 *   aux  = α · min(dead / k_aux, 1) · (1/N) Σ_n ‖ê_n − e_n‖²      topk AuxK (Gao et al. 2024)
 *          e = x − x̂ (no gradient), ê = z·W_dec + b_dec, z = the top-k_aux pre-activations among
 *          dead latents, k_aux = min(d_in/2, dead)
 *   loss = mse + l1 + aux
 * </pre>
 *
 * @param loss         the total
 * @param mse          the reconstruction term
 * @param l1           the sparsity penalty (0 for topk)
 * @param aux          the AuxK term (0 for standard or when no latent is dead)
 * @param l0           mean number of active latents per token
 * @param explainedVariance 1 − Σ‖x − x̂‖² / Σ‖x − x̄‖² over the batch
 */
public record SaeLoss(double loss, double mse, double l1, double aux, double l0, double explainedVariance) {}
