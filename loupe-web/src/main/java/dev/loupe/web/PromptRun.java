package dev.loupe.web;

import dev.loupe.analysis.decomposition.LogitLens;
import dev.loupe.analysis.detectors.AttentionScores;
import dev.loupe.analysis.detectors.HeadScores;
import dev.loupe.tensor.Tensor;
import dev.loupe.analysis.decomposition.ResidualDecomposition;
import dev.loupe.model.Gpt;
import dev.loupe.model.HookPoints;

import java.util.List;

/**
 * One prompt run through the model: its tokens, every head's attention pattern and the last
 * position's next-token distribution, computed in one pass with the pattern hooks cached
 * ({@code gpt.runWithCache}). The logit lens and the residual decomposition (for direct logit
 * attribution) each need a pass of their own and are computed on first use, then kept.
 *
 * <p>Everything kept is a copy owned by this run, so results of concurrent requests never share
 * memory with the model's buffers or with each other.
 */
final class PromptRun {
    /** A token and its probability. */
    record Guess(int id, double probability) {}

    final String id;
    final int[] ids;              // [T]
    final boolean truncated;      // the prompt was longer than the context: its first tokens were dropped
    final int droppedTokens;
    private final float[][] patterns;   // [n_layer] × [H·T·T], row-major [head, query, key]
    private final float[] lastLogits;   // [V] at the last position
    private final ExplorerModel model;
    private Guess[][][] lens;                     // guarded by this: [layer boundary][position][rank]
    private ResidualDecomposition decomposition;  // guarded by this

    private PromptRun(String id, int[] ids, boolean truncated, int dropped, float[][] patterns, float[] lastLogits, ExplorerModel model) {
        this.id = id;
        this.ids = ids;
        this.truncated = truncated;
        this.droppedTokens = dropped;
        this.patterns = patterns;
        this.lastLogits = lastLogits;
        this.model = model;
    }

    /**
     * Tokenises {@code prompt}, keeps its last {@code maxTokens} tokens when it is longer, and runs
     * the model once caching every {@code hook_pattern}.
     */
    static PromptRun analyse(String id, ExplorerModel model, String prompt, int maxTokens) {
        int[] all = model.tokenizer().encodeAllowingSpecial(prompt);
        if (all.length == 0) throw new HttpError(400, "the prompt has no tokens");
        int dropped = Math.max(0, all.length - maxTokens);
        return analyse(id, model, java.util.Arrays.copyOfRange(all, dropped, all.length), dropped);
    }

    /**
     * Runs the model once over {@code ids} (the prompt's tokens, {@code dropped} of them cut from
     * its front) caching every {@code hook_pattern}: how a run dropped from the {@link RunStore} is
     * computed again, with the same result.
     */
    static PromptRun analyse(String id, ExplorerModel model, int[] ids, int dropped) {
        int t = ids.length, layers = model.config().nLayer(), vocab = model.config().vocabSize();
        for (int tok : ids) {
            if (tok < 0 || tok >= vocab) throw new HttpError(400, "token id " + tok + " is outside the model's vocabulary of " + vocab);
        }
        return model.exclusive(() -> {
            Gpt.CachedRun run = model.gpt().runWithCache(ids, 1, t, n -> n.endsWith("attn.hook_pattern"));
            float[][] pats = new float[layers][];
            for (int l = 0; l < layers; l++) pats[l] = run.cache().get(HookPoints.name(l, "attn.hook_pattern")).toArray();
            float[] last = run.logits().reshape(t, vocab).select(0, t - 1).toArray();
            return new PromptRun(id, ids, dropped > 0, dropped, pats, last, model);
        });
    }

    /** Layer {@code layer}'s patterns [H, T, T] (query rows, key columns), row-major; do not modify. */
    float[] pattern(int layer) {
        return patterns[layer];
    }

    /**
     * Every head's previous-token, duplicate-token and induction score on this prompt's own patterns
     * ({@link AttentionScores}; Olsson et al. 2022). Duplicate and induction scores need repeated
     * tokens in the prompt (a head gets 0 when no token repeats).
     */
    HeadScores headScores() {
        int layers = patterns.length, t = ids.length, heads = model.config().nHead();
        double[][] prev = new double[layers][], dup = new double[layers][], ind = new double[layers][];
        for (int l = 0; l < layers; l++) {
            Tensor p = Tensor.of(patterns[l], 1, heads, t, t);
            prev[l] = AttentionScores.previousToken(p);
            dup[l] = AttentionScores.duplicateToken(p, ids);
            ind[l] = AttentionScores.induction(p, ids);
        }
        return new HeadScores(prev, dup, ind, 1, 0);
    }

    /** Bytes held by the attention patterns. */
    long patternBytes() {
        long b = 0;
        for (float[] p : patterns) b += 4L * p.length;
        return b;
    }

    /**
     * Bytes this run holds now (an estimate within a few percent): patterns, last logits, and the
     * lens and decomposition once they are computed. The decomposition is the large part after the
     * patterns: every component's [T, d_model] plus the logits [T, V].
     */
    synchronized long bytes() {
        long t = ids.length, d = model.config().dModel(), v = model.config().vocabSize();
        long b = patternBytes() + 4L * lastLogits.length + 4L * t;
        if (lens != null) b += (long) lens.length * t * (16 + LENS_TOP * 32L);
        if (decomposition != null) b += 4L * t * d * (decomposition.components().size() + 1) + 4L * t * v + 4L * t;
        return b;
    }

    /** The top {@code n} next-token predictions after the last token (softmax of its logits). */
    List<Guess> predictions(int n) {
        return List.of(top(lastLogits, 0, lastLogits.length, n));
    }

    /**
     * The {@code n} largest of {@code v} logits at {@code from} with their softmax probabilities, best
     * first, in one O(V·n) scan (a full sort of GPT-2's 50257 logits per layer and position made the
     * lens of 256 tokens take a minute).
     */
    static Guess[] top(float[] logits, int from, int v, int n) {
        n = Math.min(n, v);
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < v; i++) max = Math.max(max, logits[from + i]);
        double sum = 0;
        for (int i = 0; i < v; i++) sum += Math.exp(logits[from + i] - max);
        int[] best = new int[n];
        int found = 0;
        for (int i = 0; i < v; i++) {
            float x = logits[from + i];
            if (found == n && x <= logits[from + best[n - 1]]) continue;
            int j = found < n ? found++ : n - 1;
            while (j > 0 && logits[from + best[j - 1]] < x) {
                best[j] = best[j - 1];
                j--;
            }
            best[j] = i;
        }
        Guess[] out = new Guess[n];
        for (int k = 0; k < n; k++) out[k] = new Guess(best[k], Math.exp(logits[from + best[k]] - max) / sum);
        return out;
    }

    /**
     * The logit lens of this prompt, its {@link #LENS_TOP} best tokens per layer boundary (0 = embedding,
     * l + 1 = after block l) and position; one more pass on first use. Only the top tokens are kept: the
     * full decoded logits are n_layer + 1 × [T, V] floats (670 MB for GPT-2 small at 256 tokens).
     */
    synchronized Guess[][][] lens() {
        if (lens == null) {
            LogitLens full = model.exclusive(() -> LogitLens.compute(model.gpt(), ids));
            Guess[][][] out = new Guess[full.layers()][ids.length][];
            for (int l = 0; l < full.layers(); l++) {
                Tensor logits = full.logits(l).contiguous();   // [T, V]
                int v = logits.dim(1);
                for (int t = 0; t < ids.length; t++) out[l][t] = top(logits.data(), logits.offset() + t * v, v, LENS_TOP);
            }
            lens = out;
        }
        return lens;
    }

    /** Tokens kept per layer and position by {@link #lens()}. */
    static final int LENS_TOP = 3;

    /** The residual stream split into embed, positions, heads, MLPs and biases (one more pass, on first use). */
    synchronized ResidualDecomposition decomposition() {
        if (decomposition == null) decomposition = model.exclusive(() -> ResidualDecomposition.compute(model.gpt(), ids));
        return decomposition;
    }
}
