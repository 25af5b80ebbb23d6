package dev.loupe.analysis.moe;

import dev.loupe.LoupeException;
import dev.loupe.model.ActivationCache;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The routing diagnostics of every mixture-of-experts layer of a model over a text or a corpus: the
 * tokens run in consecutive windows of {@code seq} tokens (one forward pass each, the router hooks
 * cached), each window's routing is added to one {@link LayerDiagnostics} per MoE layer and to a
 * {@link CoActivation} per pair of consecutive MoE layers, and the first window's routing is kept
 * whole for pictures of R over the prompt.
 */
public final class RoutingDiagnostics {
    /** Told after each window: {@code done} of {@code total} windows have run. */
    public interface Steps {
        Steps NONE = (done, total) -> { };

        void step(long done, long total);
    }

    /**
     * @param keep   top tokens kept per expert
     * @param before context tokens kept before each top token
     */
    public record Settings(int keep, int before) {
        public Settings {
            if (keep < 0 || before < 0) throw new IllegalArgumentException("keep and before must be >= 0");
        }

        /** 8 top tokens per expert with 4 tokens of context. */
        public static Settings defaults() {
            return new Settings(8, 4);
        }
    }

    private final List<LayerDiagnostics> layers;
    private final List<CoActivation> coActivations;
    private final int[] promptIds;
    private final List<LayerRouting> promptRouting;

    private RoutingDiagnostics(List<LayerDiagnostics> layers, List<CoActivation> coActivations, int[] promptIds,
                               List<LayerRouting> promptRouting) {
        this.layers = layers;
        this.coActivations = coActivations;
        this.promptIds = promptIds;
        this.promptRouting = promptRouting;
    }

    /** The model's MoE layers in order, or a clear error when it has none. */
    public static List<Integer> moeLayers(GptConfig c) {
        List<Integer> l = new ArrayList<>();
        for (int i = 0; i < c.nLayer(); i++) if (c.isMoeLayer(i)) l.add(i);
        if (l.isEmpty()) {
            throw new LoupeException("the model has no mixture-of-experts layer (its config.json has no loupe.moe), so it has no "
                    + "routing to diagnose (train one with 'loupe train --moe-experts 4 --moe-top-k 2 …' or 'loupe reproduce moe-specialisation')");
        }
        return l;
    }

    /** Sees each window's routing at every MoE layer (layer order); {@code start} is the position of its first token. */
    public interface WindowListener {
        void window(int start, List<LayerRouting> routing);
    }

    /**
     * Routes {@code tokens} through {@code gpt} in consecutive windows of {@code seq} tokens (the last
     * may be shorter) and accumulates the diagnostics; {@code progress} hears after every window.
     */
    public static RoutingDiagnostics over(Gpt gpt, int[] tokens, int seq, Settings s, Steps progress) {
        return over(gpt, tokens, seq, s, progress, (start, routing) -> { });
    }

    /** As {@link #over(Gpt, int[], int, Settings, Steps)}, also showing {@code listener} every window's routing. */
    public static RoutingDiagnostics over(Gpt gpt, int[] tokens, int seq, Settings s, Steps progress, WindowListener listener) {
        GptConfig c = gpt.config();
        List<Integer> moe = moeLayers(c);
        if (seq < 1 || seq > c.nPositions()) throw new IllegalArgumentException("seq must be in 1.." + c.nPositions() + ", got " + seq);
        if (tokens.length == 0) throw new LoupeException("no tokens to route");
        Builder b = new Builder(moe, c.moe().experts(), s);
        Set<String> names = new HashSet<>();
        for (int l : moe) names.addAll(Arrays.asList(LayerRouting.hookNames(l)));
        long windows = (tokens.length + seq - 1L) / seq;
        for (long w = 0; w < windows; w++) {
            int start = (int) (w * seq), end = Math.min(tokens.length, start + seq);
            int[] ids = Arrays.copyOfRange(tokens, start, end);
            ActivationCache cache = gpt.runWithCache(ids, 1, ids.length, names::contains).cache();
            List<LayerRouting> routing = new ArrayList<>();
            for (int l : moe) routing.add(LayerRouting.fromCache(cache, l));
            b.add(ids, start, routing);
            listener.window(start, routing);
            progress.step(w + 1, windows);
        }
        return b.build();
    }

    /**
     * Accumulates the routing of sequences at the given MoE layers; the first sequence added is the
     * prompt. {@link #over} feeds it from a model's hooks; anything else that has routing (a test, a
     * distributed job) may feed it directly.
     */
    public static final class Builder {
        private final List<Integer> layers;
        private final List<LayerDiagnostics> diag = new ArrayList<>();
        private final List<CoActivation> co = new ArrayList<>();
        private int[] promptIds;
        private List<LayerRouting> prompt;

        /** For MoE layers {@code layers} (in order) of {@code experts} experts each. */
        public Builder(List<Integer> layers, int experts, Settings s) {
            if (layers.isEmpty()) throw new IllegalArgumentException("no MoE layer");
            this.layers = List.copyOf(layers);
            for (int l : layers) diag.add(new LayerDiagnostics(l, experts, s.keep(), s.before()));
            for (int i = 0; i + 1 < layers.size(); i++) co.add(new CoActivation(layers.get(i), experts, layers.get(i + 1), experts));
        }

        /** One sequence: its ids [T], the corpus position of ids[0], and its routing at each MoE layer (layer order). */
        public Builder add(int[] ids, long start, List<LayerRouting> routing) {
            if (routing.size() != layers.size()) throw new IllegalArgumentException(routing.size() + " routings for " + layers.size() + " MoE layers");
            for (int i = 0; i < routing.size(); i++) {
                if (routing.get(i).layer() != layers.get(i)) {
                    throw new IllegalArgumentException("routing " + i + " is of layer " + routing.get(i).layer() + ", expected " + layers.get(i));
                }
                diag.get(i).add(routing.get(i), ids, start);
            }
            for (int i = 0; i < co.size(); i++) co.get(i).add(routing.get(i), routing.get(i + 1));
            if (promptIds == null) {
                promptIds = ids.clone();
                prompt = List.copyOf(routing);
            }
            return this;
        }

        /** The diagnostics of everything added (at least one sequence). */
        public RoutingDiagnostics build() {
            if (promptIds == null) throw new IllegalStateException("no sequence added");
            return new RoutingDiagnostics(List.copyOf(diag), List.copyOf(co), promptIds, prompt);
        }
    }

    /** One {@link LayerDiagnostics} per MoE layer, in layer order. */
    public List<LayerDiagnostics> layers() { return layers; }

    /** Co-activation of each MoE layer with the next MoE layer. */
    public List<CoActivation> coActivations() { return coActivations; }

    /** The tokens of the first window. */
    public int[] promptIds() { return promptIds.clone(); }

    /** The routing of the first window at each MoE layer (layer order): R over the prompt. */
    public List<LayerRouting> promptRouting() { return promptRouting; }
}
