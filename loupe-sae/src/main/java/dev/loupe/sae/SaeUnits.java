package dev.loupe.sae;

import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;

/**
 * A sparse autoencoder's features as {@link DashboardUnits}: activation f = encode(x) at the SAE's
 * hook; feature i writes its decoder row W_dec[i]/s (s the input scale, 1 for saved SAEs), mapped
 * into the residual stream by {@link ResidualDirections}.
 */
public record SaeUnits(Gpt gpt, SparseAutoencoder sae) implements DashboardUnits {
    public SaeUnits {
        SaeSplice.checkedHook(gpt, sae);
    }

    @Override
    public String kind() {
        return "feature";
    }

    @Override
    public String hookName() {
        return sae.config().metadata().hookName();
    }

    @Override
    public int count() {
        return sae.dSae();
    }

    @Override
    public Tensor activations(Tensor hookRows) {
        return sae.encode(hookRows);
    }

    @Override
    public Tensor residualDirections(Gpt g) {
        return ResidualDirections.of(g, hookName(), decoderRows(sae));
    }

    /** W_dec / s [d_sae, d_in]: feature i's direction in the hook's space (what f_i = 1 adds to x̂). */
    static Tensor decoderRows(SparseAutoencoder sae) {
        if (sae.inputScale() == 1f) return sae.wDec();
        Tensor w = sae.wDec().copy();
        float[] d = w.data();
        for (int i = 0; i < d.length; i++) d[i] /= sae.inputScale();
        return w;
    }
}
