package dev.loupe.sae;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.Hooks;
import dev.loupe.tensor.Tensor;

import java.util.List;

/**
 * A sparse autoencoder spliced into a model's forward pass at its hook (SAELens's
 * {@code HookedSAETransformer.add_sae}): the activation x there is replaced by the SAE's output, and
 * the SAE's own hook points fire on the way, under SAELens's names
 * ({@code {hook}.hook_sae_input|acts_pre|acts_post|recons|error|output}), available to
 * {@link Gpt#runWithCache}, {@code Gpt.hooks().add} and interventions like any other hook point:
 * <pre>
 *   x                        → hook_sae_input       [B, T, d_in]    (hook_z: heads flattened)
 *   pre = (s·x − b_dec)·W_enc + b_enc → hook_sae_acts_pre   [B, T, d_sae]
 *   f   = σ(pre)             → hook_sae_acts_post   [B, T, d_sae]   (edit it to ablate or steer features)
 *   x̂   = (f·W_dec + b_dec)/s → hook_sae_recons      [B, T, d_in]
 *   e   = x − x̂_clean         → hook_sae_error       [B, T, d_in]    (only with the error term)
 *   out = x̂ (+ e)             → hook_sae_output      [B, T, d_in]    replaces x
 * </pre>
 * With the error term ({@code use_error_term} in SAELens) e is computed from a clean, unhooked pass of
 * the SAE, so the model's outputs are unchanged (to float32 rounding) unless a hook edits the SAE's
 * activations — then exactly the edit's effect goes through. Hooks apply to the analysis passes
 * (see {@link Hooks}); close the splice to take the SAE out.
 */
public final class SaeSplice implements AutoCloseable {
    /** The SAE's hook points, after {@code {hook}.}, in the order they fire. */
    public static final List<String> HOOKS = List.of("hook_sae_input", "hook_sae_acts_pre", "hook_sae_acts_post",
            "hook_sae_recons", "hook_sae_error", "hook_sae_output");

    private final Gpt gpt;
    private final SparseAutoencoder sae;
    private final String hook;
    private final boolean errorTerm;
    private final Hooks.Splice names;
    private final Hooks.Handle handle;

    private SaeSplice(Gpt gpt, SparseAutoencoder sae, String hook, boolean errorTerm) {
        this.gpt = gpt;
        this.sae = sae;
        this.hook = hook;
        this.errorTerm = errorTerm;
        this.names = gpt.hooks().splice(HOOKS.stream().map(this::name).toList());
        this.handle = gpt.hooks().add(hook, (x, n) -> apply(x));
    }

    /**
     * Splices {@code sae} in at the hook its cfg.json names ({@code metadata.hook_name}).
     *
     * @throws LoupeException when the cfg names no hook, the hook is not one of this model's, or its
     *                        width is not the SAE's d_in (an SAE of another model)
     */
    public static SaeSplice attach(Gpt gpt, SparseAutoencoder sae, boolean errorTerm) {
        return new SaeSplice(gpt, sae, checkedHook(gpt, sae), errorTerm);
    }

    /** The hook the SAE reads, after checking that {@code gpt} has it with the SAE's width ({@link SaeHookPoint#forSae}). */
    public static String checkedHook(Gpt gpt, SparseAutoencoder sae) {
        return SaeHookPoint.forSae(gpt.config(), sae).name();
    }

    /** The hook point the SAE is spliced at, e.g. {@code blocks.0.mlp.hook_post}. */
    public String hookName() {
        return hook;
    }

    /** The full name of one of the SAE's hook points, e.g. {@code name("hook_sae_acts_post")}. */
    public String name(String suffix) {
        return hook + "." + suffix;
    }

    /** The spliced SAE. */
    public SparseAutoencoder sae() {
        return sae;
    }

    /** Whether the error term is added back. */
    public boolean errorTerm() {
        return errorTerm;
    }

    @Override
    public void close() {
        handle.close();
        names.close();
    }

    private Tensor apply(Tensor x) {
        int b = x.dim(0), t = x.dim(1), n = b * t, dIn = sae.dIn(), dSae = sae.dSae();
        Tensor original = x.contiguous().reshape(n, dIn).copy();          // [N, d_in]
        Tensor in = original.copy();
        fire("hook_sae_input", in, b, t);
        var hooks = gpt.hooks();
        boolean edited = HOOKS.subList(0, 4).stream().anyMatch(s -> hooks.wants(name(s)));
        Tensor pre = sae.preActivations(sae.processInput(in));            // [N, d_sae]
        fire("hook_sae_acts_pre", pre, b, t);
        Tensor f = sae.activate(pre);                                       // [N, d_sae]
        fire("hook_sae_acts_post", f, b, t);
        Tensor out = sae.decode(f);                                         // [N, d_in]
        fire("hook_sae_recons", out, b, t);
        if (errorTerm) {
            Tensor clean = edited ? sae.forward(original) : out;           // SAELens: a clean, unhooked SAE pass
            Tensor error = Tensor.zeros(n, dIn);
            float[] e = error.data(), o = original.data(), c = clean.contiguous().data();
            int co = clean.contiguous().offset();
            for (int i = 0; i < n * dIn; i++) e[i] = o[i] - c[co + i];
            fire("hook_sae_error", error, b, t);
            out = out.copy();
            float[] r = out.data();
            for (int i = 0; i < n * dIn; i++) r[i] += e[i];
        }
        fire("hook_sae_output", out, b, t);
        out.reshape(x.shape()).copyInto(x);
        return x;
    }

    private void fire(String suffix, Tensor rows, int b, int t) {
        String full = name(suffix);
        if (gpt.hooks().wants(full)) gpt.hooks().fire(full, rows.reshape(b, t, rows.dim(1)));
    }
}
