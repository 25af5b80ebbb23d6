package dev.loupe.sae;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.HookPoints;
import dev.loupe.tensor.Tensor;

/**
 * The units a {@link FeatureDashboard} shows: dictionary features of a sparse autoencoder, or a
 * layer's MLP neurons for comparison. Each unit has an activation per token, computed from what one
 * hook point carries, and a direction it writes into the residual stream (read by the direct path to
 * the logits).
 */
public interface DashboardUnits {
    /** What one unit is called in the page: "feature" or "neuron". */
    String kind();

    /** The hook point whose activation the units read, e.g. {@code blocks.0.mlp.hook_post}. */
    String hookName();

    /** Number of units. */
    int count();

    /** Unit activations [N, count] of the hook's rows [N, d_hook] (a hook_z's heads flattened). */
    Tensor activations(Tensor hookRows);

    /** What each unit writes into the residual stream, [count, d_model] (see {@link ResidualDirections}). */
    Tensor residualDirections(Gpt gpt);

    /** The MLP neurons of block {@code layer}: activation = {@code mlp.hook_post}, write = the row of W_out. */
    static DashboardUnits neurons(Gpt gpt, int layer) {
        if (layer < 0 || layer >= gpt.config().nLayer() || gpt.blocks[layer].mlp == null) {
            throw new LoupeException("the model has no MLP in block " + layer);
        }
        if (gpt.blocks[layer].mlp.isMixture()) {
            throw new LoupeException("block " + layer + "'s MLP is a mixture of experts: its neurons belong to experts that see only "
                    + "their routed positions, so there is no per-position neuron dashboard");
        }
        String hook = HookPoints.name(layer, "mlp.hook_post");
        int n = gpt.config().dMlp();
        return new DashboardUnits() {
            @Override public String kind() { return "neuron"; }
            @Override public String hookName() { return hook; }
            @Override public int count() { return n; }
            @Override public Tensor activations(Tensor rows) { return rows; }
            @Override public Tensor residualDirections(Gpt g) { return g.blocks[layer].mlp.proj.weightFloat32(); } // [d_mlp, d_model]
        };
    }
}
