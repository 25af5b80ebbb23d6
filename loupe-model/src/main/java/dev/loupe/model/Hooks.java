package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * The hooks attached to one model ({@link Gpt#hooks()}). Each {@code add} returns a {@link Handle};
 * closing it detaches the hook, so with try-with-resources an exception can never leave one behind:
 * <pre>
 *   try (var h = gpt.hooks().add("blocks.0.attn.hook_pattern", Hook.reader((p, n) -> ...))) {
 *       gpt.logits(ids, 1, ids.length);
 *   }
 * </pre>
 * Hooks run in the order they were added. They apply to the analysis forward passes
 * ({@link Gpt#forward}, {@link Gpt#logits}, {@link Gpt#loss}, {@link Gpt#runWithCache}); never to
 * {@link Gpt#forwardBackward} (training) nor to KV-cached decoding.
 *
 * <p>With no hook attached the forward pass takes its usual path: one null check per hook point,
 * no view, no name, no allocation.
 */
public final class Hooks {
    private final GptConfig config;
    private final List<Entry> entries = new CopyOnWriteArrayList<>();
    private final List<java.util.Set<String>> spliced = new CopyOnWriteArrayList<>();

    Hooks(GptConfig config) {
        this.config = config;
    }

    private record Entry(Predicate<String> names, Hook hook) {}

    /** Detaches its hook when closed (idempotent). */
    public final class Handle implements AutoCloseable {
        private final Entry entry;

        private Handle(Entry entry) {
            this.entry = entry;
        }

        @Override
        public void close() {
            entries.remove(entry);
        }
    }

    /**
     * Attaches {@code hook} at the hook point {@code name} (see {@link HookPoints#table}); an unknown
     * name is a {@link LoupeException} that lists the names of this model's first block.
     */
    public Handle add(String name, Hook hook) {
        boolean splicedName = spliced.stream().anyMatch(set -> set.contains(name));
        if (!splicedName && HookPoints.table(config, 1, 1).stream().noneMatch(p -> p.name().equals(name))) {
            throw new LoupeException("no hook point named '" + name + "' in this model (" + config.nLayer()
                    + " layers, mlp " + config.mlp() + "); names look like hook_embed, blocks.0.attn.hook_pattern, "
                    + "blocks.0.hook_resid_post, ln_final.hook_normalized (loupe hooks --model DIR lists them all)");
        }
        return add(name::equals, hook);
    }

    /** Attaches {@code hook} at every hook point whose name passes {@code names}. */
    public Handle add(Predicate<String> names, Hook hook) {
        Entry e = new Entry(names, hook);
        entries.add(e);
        return new Handle(e);
    }

    /**
     * Declares hook points that a component spliced into the pass fires itself through
     * {@link #fire} — e.g. a sparse autoencoder at {@code blocks.5.hook_resid_post} adds
     * {@code blocks.5.hook_resid_post.hook_sae_acts_post} — so that {@link #add(String, Hook)}
     * accepts their names while the returned handle is open.
     */
    public Splice splice(java.util.Collection<String> names) {
        java.util.Set<String> set = java.util.Set.copyOf(names);
        spliced.add(set);
        return new Splice(set);
    }

    /** Withdraws the names of {@link #splice} when closed (idempotent). */
    public final class Splice implements AutoCloseable {
        private final java.util.Set<String> names;

        private Splice(java.util.Set<String> names) {
            this.names = names;
        }

        @Override
        public void close() {
            spliced.remove(names);
        }
    }

    /** True when no hook is attached. */
    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** Detaches every hook. */
    public void clear() {
        entries.clear();
    }

    // ---------------------------------------------------------------- used by the forward pass

    /** Whether some hook wants {@code name} (e.g. to compute {@code hook_result} only then). */
    public boolean wants(String name) {
        for (Entry e : entries) if (e.names.test(name)) return true;
        return false;
    }

    /**
     * Runs the hooks for {@code name} on {@code view}; a replacement is copied into the view. The
     * forward pass calls it at every hook point; a spliced component (see {@link #splice}) calls it
     * at its own.
     */
    public void fire(String name, Tensor view) {
        for (Entry e : entries) {
            if (!e.names.test(name)) continue;
            Tensor r = e.hook.apply(view, name);
            if (r != null && r != view) {
                if (!Arrays.equals(r.shape(), view.shape())) {
                    throw new LoupeException("hook at " + name + " returned shape " + Arrays.toString(r.shape())
                            + ", expected " + Arrays.toString(view.shape()));
                }
                r.copyInto(view);
            }
        }
    }

    /** Rows [B·T, w] of a contiguous buffer seen as [B, T, w]. */
    static Tensor rows(Tensor m, int batch, int seqLen) {
        return m.reshape(batch, seqLen, m.dim(1));
    }

    /**
     * The two LayerNorm hook points after {@code ln} has written y from x: {@code hook_scale}
     * [B, T, 1] = 1/rstd (a fresh tensor, built only when hooked; an edited scale re-normalises y),
     * then {@code hook_normalized} [B, T, d] on y itself.
     */
    void layerNorm(String prefix, LayerNorm ln, Tensor x, Tensor y, Tensor mean, Tensor rstd, int batch, int seqLen) {
        String scaleName = prefix + ".hook_scale";
        if (wants(scaleName)) {
            int n = rstd.size();
            Tensor scale = Tensor.zeros(batch, seqLen, 1);
            for (int r = 0; r < n; r++) scale.data()[r] = 1f / rstd.get(r);
            float[] before = scale.toArray();
            fire(scaleName, scale);
            if (!Arrays.equals(before, scale.toArray())) {
                for (int r = 0; r < n; r++) rstd.set(1f / scale.data()[r], r);
                ln.normalizeWith(x, mean, rstd, y);
            }
        }
        fire(prefix + ".hook_normalized", rows(y, batch, seqLen));
    }
}
