/**
 * Dictionary learning (SPEC M6, "Towards Monosemanticity"): sparse autoencoders trained on the
 * activations of a hook point, read and written in SAELens' layout ({@code cfg.json},
 * {@code sae_weights.safetensors}, {@code sparsity.safetensors}), with the metrics SAELens reports
 * and feature dashboards in the style of SAE-Vis.
 */
package dev.loupe.sae;
