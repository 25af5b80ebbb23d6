package dev.loupe.sae;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.model.Gpt;
import dev.loupe.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * Feature dashboards in the style of SAE-Vis (McDougall et al.) and Neuronpedia: for each unit —
 * a sparse autoencoder's feature or, for comparison, an MLP neuron ({@link DashboardUnits}) — over a
 * token stream:
 * <ul>
 *   <li>density: the fraction of tokens on which it is active (activation &gt; 0);</li>
 *   <li>a histogram of its positive activations ({@link Settings#bins} equal bins over (0, max]);</li>
 *   <li>its top-activating contexts, then examples sampled evenly from bands of strength —
 *       SAE-Vis's interval groups: activations in ((b−1)/B·max, b/B·max] for b = B … 1 —
 *       each a window of tokens around the activating one, every token with the unit's activation
 *       there (the page colours them by strength);</li>
 *   <li>its logit effects ({@link LogitEffects}): the tokens whose logits its residual-stream
 *       direction raises most and lowers most through the direct path.</li>
 * </ul>
 * {@link #json()} holds all of it; {@link FeatureDashboardHtml} draws it as one self-contained page.
 */
public final class FeatureDashboard {
    /**
     * How much to show.
     *
     * @param topExamples  top-activating contexts per unit
     * @param bands        bands of strength below the top (B)
     * @param bandExamples examples sampled per band
     * @param before       tokens shown before the activating token (within its window)
     * @param after        tokens shown after it
     * @param logitTokens  tokens listed on each side of the logit effects
     * @param bins         histogram bins
     * @param seed         seeds the band sampling
     */
    public record Settings(int topExamples, int bands, int bandExamples, int before, int after, int logitTokens, int bins, long seed) {
        public Settings {
            if (topExamples < 1 || bands < 0 || bandExamples < 0 || before < 0 || after < 0 || logitTokens < 0 || bins < 1) {
                throw new IllegalArgumentException("dashboard settings: top examples and bins ≥ 1, the rest ≥ 0");
            }
        }

        /** 10 top contexts, 4 bands of 4 examples, 12 tokens before and 4 after, 10 logit tokens each side, 40 bins. */
        public static Settings defaults() {
            return new Settings(10, 4, 4, 12, 4, 10, 40, 0);
        }
    }

    /** {@link Settings#defaults()} with {@code topExamples} top contexts and another sampling seed. */
    public static Settings defaults(int topExamples, long seed) {
        Settings d = Settings.defaults();
        return new Settings(topExamples, d.bands(), d.bandExamples(), d.before(), d.after(), d.logitTokens(), d.bins(), seed);
    }

    /** Units whose logit effects are computed together: 256 × V floats (51 MB for GPT-2's vocabulary). */
    private static final int LOGIT_BLOCK = 256;

    private final ObjectNode json;

    private FeatureDashboard(ObjectNode json) {
        this.json = json;
    }

    /**
     * Runs {@code gpt} over {@code windows}, reads the units at their hook and builds the pages of the
     * units in {@code detailed} (all when null; the others get only density and maximum).
     *
     * @param title     shown on the page, e.g. the SAE's directory
     * @param tokenText a token's text (its display form)
     * @param progress  one line per stage
     */
    public static FeatureDashboard build(String title, Gpt gpt, DashboardUnits units, TokenWindows windows, Set<Integer> detailed,
                                         Settings s, IntFunction<String> tokenText, Consumer<String> progress) {
        int n = units.count();
        boolean[] kept = new boolean[n];
        for (int u = 0; u < n; u++) kept[u] = detailed == null || detailed.contains(u);
        UnitActivations acts = new UnitActivations(n, kept);
        double[] scaleSum = new double[1];
        int total = windows.usedTokens();
        windows.forEach(gpt, Set.of(units.hookName(), "ln_final.hook_scale"), (cache, at) -> {
            acts.add(units.activations(TokenWindows.rows(cache.get(units.hookName()))), at);
            for (float v : cache.get("ln_final.hook_scale").toArray()) scaleSum[0] += v;
            if (((at / windows.context()) / windows.windowsPerPass()) % 16 == 15) {
                progress.accept(String.format(java.util.Locale.ROOT, "%s activations: %d of %d tokens", units.kind(), at, total));
            }
        });
        double scale = scaleSum[0] / Math.max(1, total);
        Tensor directions = units.residualDirections(gpt);                                    // [n, d_model]

        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("title", title).put("kind", units.kind()).put("hook_name", units.hookName()).put("tokens", total)
                .put("context_size", windows.context()).put("units", n).put("ln_final_scale", scale);
        root.putObject("settings").put("top_examples", s.topExamples()).put("bands", s.bands()).put("band_examples", s.bandExamples())
                .put("before", s.before()).put("after", s.after()).put("logit_tokens", s.logitTokens()).put("bins", s.bins());
        ArrayNode list = root.putArray("features");
        SplittableRandom random = new SplittableRandom(s.seed());
        ObjectNode[] pages = new ObjectNode[n];
        for (int u = 0; u < n; u++) {
            ObjectNode f = list.addObject();
            f.put("index", u).put("density", (double) acts.count(u) / Math.max(1, total));
            if (!kept[u]) continue;
            page(f, u, acts, windows, s, random.split(), tokenText);
            pages[u] = f;
        }
        progress.accept("logit effects of " + n + " " + units.kind() + "s");
        for (int from = 0; from < n; from += LOGIT_BLOCK) {                                    // [block, V] at a time, not [n, V]
            int to = Math.min(n, from + LOGIT_BLOCK);
            boolean any = false;
            for (int u = from; u < to; u++) any |= kept[u];
            if (!any) continue;
            Tensor effects = LogitEffects.of(gpt, directions.slice(0, from, to), scale);      // [block, V]
            for (int u = from; u < to; u++) if (kept[u]) logits(pages[u], effects, u - from, s.logitTokens(), tokenText);
        }
        return new FeatureDashboard(root);
    }

    /** The dashboards as JSON: {@code {title, kind, hook_name, tokens, context_size, units, ln_final_scale, settings, features: [...]}}. */
    public ObjectNode json() {
        return json;
    }

    private static void page(ObjectNode f, int u, UnitActivations acts, TokenWindows w, Settings s, SplittableRandom random,
                             IntFunction<String> text) {
        int[] pos = acts.positions(u);
        float[] val = acts.values(u);
        int count = pos.length;
        float max = 0;
        double sum = 0;
        for (float v : val) { max = Math.max(max, v); sum += v; }
        f.put("max_activation", max).put("mean_activation", count == 0 ? 0 : sum / count);
        ArrayNode hist = f.putObject("histogram").put("from", 0).put("to", max).putArray("counts");
        long[] bins = new long[s.bins()];
        for (float v : val) bins[Math.min(s.bins() - 1, (int) (v / max * s.bins()))]++;
        for (long b : bins) hist.add(b);
        ArrayNode groups = f.putArray("groups");
        if (count == 0) return;
        Integer[] order = new Integer[count];
        for (int i = 0; i < count; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> val[b] != val[a] ? Float.compare(val[b], val[a]) : Integer.compare(pos[a], pos[b]));
        List<Integer> top = Arrays.asList(order).subList(0, Math.min(s.topExamples(), count));
        group(groups.addObject().put("label", "top activations"), top, pos, val, u, acts, w, s, text);
        for (int b = s.bands(); b >= 1 && s.bandExamples() > 0; b--) {
            double lo = (double) (b - 1) / s.bands() * max, hi = (double) b / s.bands() * max;
            List<Integer> in = new ArrayList<>();
            for (int i = 0; i < count; i++) if (val[i] > lo && val[i] <= hi) in.add(i);
            for (int i = 0; i < Math.min(s.bandExamples(), in.size()); i++) {         // partial Fisher–Yates: a seeded sample
                int j = i + random.nextInt(in.size() - i);
                Integer t = in.get(i); in.set(i, in.get(j)); in.set(j, t);
            }
            List<Integer> sample = new ArrayList<>(in.subList(0, Math.min(s.bandExamples(), in.size())));
            sample.sort((a, c) -> Float.compare(val[c], val[a]));
            ObjectNode g = groups.addObject().put("label", String.format(java.util.Locale.ROOT, "interval %.2f–%.2f of max", (b - 1.0) / s.bands(),
                    (double) b / s.bands())).put("from", lo).put("to", hi).put("count", in.size());
            group(g, sample, pos, val, u, acts, w, s, text);
        }
    }

    private static void group(ObjectNode g, List<Integer> picks, int[] pos, float[] val, int u, UnitActivations acts, TokenWindows w,
                              Settings s, IntFunction<String> text) {
        ArrayNode ex = g.putArray("examples");
        for (int i : picks) {
            int p = pos[i], start = p / w.context() * w.context();
            int from = Math.max(start, p - s.before()), to = Math.min(start + w.context(), p + s.after() + 1);
            ObjectNode e = ex.addObject().put("position", p).put("activation", val[i]).put("focus", p - from);
            ArrayNode toks = e.putArray("tokens"), a = e.putArray("activations");
            for (int q = from; q < to; q++) {
                toks.add(text.apply(w.tokens()[q]));
                a.add(round(acts.at(u, q)));
            }
        }
    }

    private static void logits(ObjectNode f, Tensor effects, int row, int k, IntFunction<String> text) {
        float[] e = effects.select(0, row).toArray();                                          // [V]
        int[] top = LogitEffects.extremes(e, Math.min(k, e.length), true), bottom = LogitEffects.extremes(e, Math.min(k, e.length), false);
        ArrayNode pos = f.putArray("logits_positive"), neg = f.putArray("logits_negative");
        for (int id : top) pos.addObject().put("id", id).put("token", text.apply(id)).put("effect", e[id]);
        for (int id : bottom) neg.addObject().put("id", id).put("token", text.apply(id)).put("effect", e[id]);
    }

    /** 4 significant digits: enough for colour and hover text, a smaller page. */
    private static double round(float x) {
        return x == 0 ? 0 : Double.parseDouble(String.format(java.util.Locale.ROOT, "%.4g", x));
    }
}
