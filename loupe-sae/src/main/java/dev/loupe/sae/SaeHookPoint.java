package dev.loupe.sae;

import dev.loupe.LoupeException;
import dev.loupe.model.GptConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * A hook point an SAE can read: one vector per position, d_model or d_mlp wide.
 * <pre>
 *   blocks.{l}.hook_resid_pre | hook_resid_mid | hook_resid_post   d_model
 *   blocks.{l}.hook_attn_out | hook_mlp_out                        d_model
 *   blocks.{l}.mlp.hook_post                                       d_mlp
 *   blocks.{l}.attn.hook_z                                         n_heads·d_head (flattened, SAELens' hook_z)
 * </pre>
 *
 * @param name  the TransformerLens name
 * @param layer the block it belongs to
 * @param width d_in of an SAE on it
 */
public record SaeHookPoint(String name, int layer, int width) {
    private static final String[] RESIDUAL = {"hook_resid_pre", "hook_resid_mid", "hook_resid_post", "hook_attn_out"};

    /** Whether this is {@code attn.hook_z}, whose [pos, head, d_head] activation is flattened to [pos, d_model]. */
    public boolean isHookZ() {
        return name.endsWith("attn.hook_z");
    }

    /** Every SAE-able hook point of a model, block by block. */
    public static List<SaeHookPoint> all(GptConfig c) {
        boolean mlp = c.mlp() != GptConfig.Mlp.NONE;
        List<SaeHookPoint> out = new ArrayList<>();
        for (int l = 0; l < c.nLayer(); l++) {
            for (String r : RESIDUAL) out.add(new SaeHookPoint("blocks." + l + "." + r, l, c.dModel()));
            out.add(new SaeHookPoint("blocks." + l + ".attn.hook_z", l, c.dModel()));
            if (mlp) {
                // a mixture-of-experts layer has no mlp.hook_post over every position (each expert sees only its tokens)
                if (!c.isMoeLayer(l)) out.add(new SaeHookPoint("blocks." + l + ".mlp.hook_post", l, c.dMlp()));
                out.add(new SaeHookPoint("blocks." + l + ".hook_mlp_out", l, c.dModel()));
            }
        }
        return out;
    }

    /**
     * The hook point {@code sae} reads in a model of config {@code c}: its metadata's hook_name,
     * which must exist there and be d_in wide.
     *
     * @throws LoupeException when the SAE names no hook, names one this model lacks, or its d_in
     *                        differs from the hook's width (an SAE for another model)
     */
    public static SaeHookPoint forSae(GptConfig c, SparseAutoencoder sae) {
        String name = sae.config().metadata().hookName();
        if (name == null) throw new LoupeException("the SAE's cfg.json names no hook (metadata.hook_name or hook_point)");
        if (sae.config().metadata().hookHeadIndex() != null) {
            throw new LoupeException("the SAE reads one head (hook_head_index " + sae.config().metadata().hookHeadIndex()
                    + " of " + name + "); per-head SAEs are not supported, only whole hook points");
        }
        SaeHookPoint p;
        try {
            p = resolve(c, name);
        } catch (LoupeException e) {
            throw new LoupeException("the SAE reads " + name + ", which this model (" + c.nLayer() + " layers) does not have: "
                    + "an SAE for another model?");
        }
        if (p.width != sae.dIn()) {
            throw new LoupeException("the SAE's d_in is " + sae.dIn() + " but " + name + " of this model is " + p.width
                    + " wide: an SAE for another model?");
        }
        return p;
    }

    /**
     * The hook point called {@code name} in a model of config {@code c}.
     *
     * @throws LoupeException listing the valid names when there is none
     */
    public static SaeHookPoint resolve(GptConfig c, String name) {
        for (SaeHookPoint p : all(c)) if (p.name.equals(name)) return p;
        String kinds = "hook_resid_pre, hook_resid_mid, hook_resid_post, hook_attn_out, attn.hook_z"
                + (c.mlp() != GptConfig.Mlp.NONE ? ", mlp.hook_post, hook_mlp_out" : "");
        throw new LoupeException("hook '" + name + "' is not one an SAE can read in this model; valid: blocks.{0.."
                + (c.nLayer() - 1) + "}.{" + kinds + "}");
    }
}
