package dev.loupe.sae;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.matmul.Matmul;

/**
 * A direction in a hook point's space as what it writes into the residual stream, the way SAE-Vis
 * maps a feature's decoder row before reading its logit effects:
 * <ul>
 *   <li>{@code hook_resid_pre|mid|post}, {@code hook_attn_out}, {@code hook_mlp_out}: the direction itself (d_model wide);</li>
 *   <li>{@code mlp.hook_post}: through the MLP's output weight, v·W_out (W_out = {@code mlp.c_proj.weight} [d_mlp, d_model]);</li>
 *   <li>{@code attn.hook_z} (heads flattened, [n_head·d_head]): through the attention's output weight, v·W_O.</li>
 * </ul>
 * Biases are left out: a direction adds to the stream, a bias does not scale with it.
 */
public final class ResidualDirections {
    private ResidualDirections() {}

    /** directions [n, d_hook] → [n, d_model] for a direction read at {@code hook} of {@code gpt}. */
    public static Tensor of(Gpt gpt, String hook, Tensor directions) {
        int d = gpt.config().dModel();
        String[] parts = hook.split("\\.");
        if (parts.length >= 3 && parts[0].equals("blocks")) {
            int layer = Integer.parseInt(parts[1]);
            String rest = hook.substring(hook.indexOf('.', 7) + 1);
            switch (rest) {
                case "hook_resid_pre", "hook_resid_mid", "hook_resid_post", "hook_attn_out", "hook_mlp_out" -> {
                    return check(directions, d, hook);
                }
                case "mlp.hook_post" -> {
                    Tensor wOut = gpt.blocks[layer].mlp.proj.weightFloat32();                     // [d_mlp, d_model]
                    return Matmul.matmul(check(directions, wOut.dim(0), hook), wOut);
                }
                case "attn.hook_z" -> {
                    Tensor wO = gpt.blocks[layer].attn.proj.weightFloat32();                     // [H·d_head, d_model]
                    return Matmul.matmul(check(directions, wO.dim(0), hook), wO);
                }
                default -> { }
            }
        }
        throw new LoupeException("no residual-stream direction for hook '" + hook + "': logit effects need a hook_resid_*, "
                + "hook_attn_out, hook_mlp_out, mlp.hook_post or attn.hook_z hook");
    }

    private static Tensor check(Tensor directions, int width, String hook) {
        if (directions.rank() != 2 || directions.dim(1) != width) {
            throw new LoupeException("directions for " + hook + " must be [n, " + width + "], got " + java.util.Arrays.toString(directions.shape()));
        }
        return directions.contiguous();
    }
}
