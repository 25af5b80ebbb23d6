package dev.loupe.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.LoupeException;
import dev.loupe.model.ActivationCache;
import dev.loupe.sae.LogitEffects;
import dev.loupe.sae.SaeSplice;
import dev.loupe.sae.SaeUnits;
import dev.loupe.tensor.Tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The explorer's Features view: which features of the sparse autoencoder spliced into the model
 * ({@code loupe serve --sae DIR}) fire on each token of a prompt, and each feature's page.
 *
 * <pre>
 *   GET  /api/features                     {"enabled", "hook_name", "d_sae", "architecture", "error_term", "dashboard"}
 *   POST /api/features {"prompt", "k"}     tokens, and per position the k strongest features (index, activation)
 *   GET  /api/features/{i}                 feature i: its top and bottom logit effects, and its dashboard entry when loaded
 *   GET  /api/features/dashboard           the feature browser of 'loupe sae features' (--sae-dashboard DIR), as HTML
 * </pre>
 * Without an SAE only the first answers, with {@code "enabled": false}.
 */
final class FeaturesApi {
    static final int MAX_K = 32;
    private final ExplorerModel model;
    private final SaeSplice splice;            // null: no SAE
    private final Path dashboardDir;           // null: no dashboard
    private final JsonNode dashboard;          // features.json, or null
    private final Tensor directions;           // [d_sae, d_model], or null
    private volatile double scale = 1;         // ln_final's mean scale over the last prompt

    /**
     * @param splice       the SAE spliced into {@code model}'s Gpt (null for none)
     * @param dashboardDir a directory written by {@code loupe sae features} (features.html, features.json), or null
     */
    FeaturesApi(ExplorerModel model, SaeSplice splice, Path dashboardDir) {
        this.model = model;
        this.splice = splice;
        this.dashboardDir = dashboardDir;
        if (dashboardDir != null && splice == null) throw new LoupeException("a feature dashboard needs an SAE (--sae DIR)");
        try {
            this.dashboard = dashboardDir == null ? null : new ObjectMapper().readTree(dashboardDir.resolve("features.json").toFile());
        } catch (IOException e) {
            throw new LoupeException("cannot read " + dashboardDir.resolve("features.json") + " (written by 'loupe sae features'): " + e.getMessage());
        }
        if (dashboard != null && dashboard.path("units").asInt() != splice.sae().dSae()) {
            throw new LoupeException(dashboardDir + " describes " + dashboard.path("units").asInt() + " features, the SAE has " + splice.sae().dSae());
        }
        this.directions = splice == null ? null : new SaeUnits(model.gpt(), splice.sae()).residualDirections(model.gpt());
    }

    boolean enabled() {
        return splice != null;
    }

    ObjectNode info(ObjectMapper om) {
        ObjectNode o = om.createObjectNode().put("enabled", splice != null);
        if (splice == null) return o;
        return o.put("hook_name", splice.hookName()).put("d_sae", splice.sae().dSae())
                .put("architecture", splice.sae().architecture().toString()).put("error_term", splice.errorTerm())
                .put("dashboard", dashboard != null);
    }

    /** The k strongest features at every position of the prompt (its last {@code maxTokens} tokens). */
    ObjectNode perToken(ObjectMapper om, JsonNode request, int maxTokens) {
        requireEnabled();
        if (request == null || !request.path("prompt").isTextual()) throw new HttpError(400, "expected {\"prompt\": \"...\", \"k\": N}");
        int k = request.path("k").asInt(5);
        if (k < 1 || k > MAX_K) throw new HttpError(400, "k must be in [1, " + MAX_K + "], got " + k);
        int[] all = model.tokenizer().encodeAllowingSpecial(request.get("prompt").asText());
        if (all.length == 0) throw new HttpError(400, "the prompt has no tokens");
        int[] ids = Arrays.copyOfRange(all, Math.max(0, all.length - maxTokens), all.length);
        int t = ids.length, dSae = splice.sae().dSae();
        String acts = splice.name("hook_sae_acts_post");
        ActivationCache cache = model.exclusive(() -> model.gpt().runWithCache(ids, 1, t,
                n -> n.equals(acts) || n.equals("ln_final.hook_scale")).cache());
        Tensor f = cache.get(acts).reshape(t, dSae);                               // [T, d_sae]
        double s = 0;
        for (float v : cache.get("ln_final.hook_scale").toArray()) s += v;
        scale = s / t;
        ObjectNode o = om.createObjectNode().put("hook_name", splice.hookName()).put("truncated", all.length > t);
        ArrayNode positions = o.putArray("positions");
        float max = 0;
        for (int p = 0; p < t; p++) {
            ObjectNode pos = positions.addObject().put("position", p).put("id", ids[p]).put("token", model.display(ids[p]));
            int active = 0;
            for (int i = 0; i < dSae; i++) if (f.get(p, i) > 0) active++;
            pos.put("active", active);
            ArrayNode top = pos.putArray("features");
            float[] row = f.select(0, p).toArray();                                          // [d_sae]
            for (int i : LogitEffects.extremes(row, Math.min(k, dSae), true)) {
                if (!(row[i] > 0)) break;                                                     // only active features
                top.addObject().put("index", i).put("activation", row[i]);
                max = Math.max(max, row[i]);
            }
        }
        return o.put("max_activation", max);
    }

    /** Feature i: logit effects (ln_final scale: the last prompt's mean) and its dashboard entry. */
    ObjectNode feature(ObjectMapper om, int i, int logitTokens) {
        requireEnabled();
        Tensor e = LogitEffects.of(model.gpt(), directions.slice(0, i, i + 1), scale);    // [1, V]
        float[] row = e.toArray();                                                           // [V]
        int k = Math.min(logitTokens, row.length);
        ObjectNode o = om.createObjectNode().put("index", i).put("ln_final_scale", scale);
        ArrayNode pos = o.putArray("logits_positive"), neg = o.putArray("logits_negative");
        for (int id : LogitEffects.extremes(row, k, true)) pos.addObject().put("token", model.display(id)).put("effect", row[id]);
        for (int id : LogitEffects.extremes(row, k, false)) neg.addObject().put("token", model.display(id)).put("effect", row[id]);
        if (dashboard != null) o.set("dashboard", dashboard.path("features").path(i));
        return o;
    }

    /** The feature browser page. */
    byte[] dashboardPage() {
        requireEnabled();
        if (dashboardDir == null) throw new HttpError(404, "no feature dashboard: start 'loupe serve' with --sae-dashboard DIR (from 'loupe sae features')");
        try {
            return Files.readString(dashboardDir.resolve("features.html")).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new HttpError(404, "cannot read the dashboard page: " + e.getMessage());
        }
    }

    int dSae() {
        return splice == null ? 0 : splice.sae().dSae();
    }

    private void requireEnabled() {
        if (splice == null) throw new HttpError(404, "no SAE: start 'loupe serve' with --sae DIR for the Features view");
    }
}
