package dev.loupe.cli.model;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.decomposition.ResidualDecomposition;
import dev.loupe.model.Gpt;
import dev.loupe.sae.FeatureAttribution;
import dev.loupe.sae.SaeSplice;
import dev.loupe.tensor.Tensor;

import java.util.Locale;

/**
 * What {@code attribute --sae} adds: each feature's direct logit attribution at the attributed
 * position ({@link FeatureAttribution}) and, for an SAE at a residual-stream hook, the term x̂ − x that
 * the SAE wrote into the stream and no component did (the final residual minus the sum of the
 * components), so that the table still adds up to the logit.
 *
 * @param acts        the features' activations there [d_sae]
 * @param features    their attributions
 * @param replacement the DLA of (final residual − Σ components) at the position; 0 when they agree
 */
record SaeAttribution(SaeSplice splice, Tensor acts, FeatureAttribution features, double replacement) {

    static SaeAttribution of(Gpt gpt, SaeSplice splice, ResidualDecomposition rd, int[] ids, int pos, int target) {
        if (gpt.config().highway() != null) {
            throw new dev.loupe.LoupeException("SAE feature attribution reads each decoder direction straight through to the logits; "
                    + "in a highway-gated model what a feature writes is scaled by the carry gates of every later sublayer, so it is not "
                    + "supported there (attribute without --sae decomposes the gated stream)");
        }
        String name = splice.name("hook_sae_acts_post");
        Tensor acts = gpt.runWithCache(ids, 1, ids.length, name::equals).cache().get(name).select(1, pos).select(0, 0).copy();
        double scale = rd.finalScale().get(pos);
        FeatureAttribution fa = FeatureAttribution.of(gpt, splice.sae(), acts, scale, target);
        Tensor sum = rd.sum(), residual = rd.residual();
        int d = residual.dim(1);
        Tensor missing = Tensor.zeros(d);
        for (int j = 0; j < d; j++) missing.set(residual.get(pos, j) - sum.get(pos, j), j);
        boolean resid = splice.hookName().contains("hook_resid_") && !splice.errorTerm();
        return new SaeAttribution(splice, acts, fa, resid ? FeatureAttribution.direct(gpt, missing, scale, target) : 0);
    }

    void print(LoadedGpt m, int n) {
        int[] top = features.strongest(n);
        System.out.printf(Locale.ROOT, "%nSAE features at %s with the largest direct attribution (%d active at this position):%n",
                splice.hookName(), active());
        System.out.printf(Locale.ROOT, "%-10s %12s %12s%n", "feature", "activation", "attribution");
        for (int i : top) System.out.printf(Locale.ROOT, "%-10d %12.4f %12.4f%n", i, acts.get(i), features.features()[i]);
        System.out.printf(Locale.ROOT, "%-10s %12s %12.4f   (the decoder bias b_dec)%n", "b_dec", "", features.bias());
    }

    void json(ObjectNode o, int n) {
        o.put("hook_name", splice.hookName()).put("error_term", splice.errorTerm()).put("active_features", active())
                .put("replacement_term", replacement).put("b_dec_term", features.bias());
        ArrayNode list = o.putArray("features");
        for (int i : features.strongest(n)) list.addObject().put("index", i).put("activation", acts.get(i)).put("attribution", features.features()[i]);
    }

    private int active() {
        int k = 0;
        for (int i = 0; i < acts.size(); i++) if (acts.get(i) != 0) k++;
        return k;
    }
}
