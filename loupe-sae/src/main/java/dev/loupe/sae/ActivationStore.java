package dev.loupe.sae;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.Hook;
import dev.loupe.tensor.Parallel;
import dev.loupe.tensor.Tensor;

import java.util.SplittableRandom;

/**
 * Activations of one hook point, harvested from a token stream and served in shuffled batches for
 * SAE training (SAELens' ActivationsStore).
 *
 * <p>The stream is cut into consecutive non-overlapping context windows of {@code contextSize}
 * tokens (window w = tokens [w·T, (w+1)·T), wrapping around the stream). Refill r of the buffer
 * runs the next windows, {@code storeBatchPrompts} at a time, through the model <em>only up to the
 * hooked block</em> ({@link Gpt#forwardThrough}), keeps every position's activation, shuffles the
 * rows with a generator seeded by (seed, r), and serves them as {@code nBatchesInBuffer} batches
 * of {@code trainBatchTokens} rows. The buffer's content is a function of r alone, so a run resumed
 * at batch b rebuilds refill b / nBatchesInBuffer and continues with identical batches.
 *
 * <p>With normalisation ({@code expected_average_only_in}) every served row is multiplied by
 * s = √d_in / E‖x‖, E over the rows of refill 0 (Anthropic, April 2024 update).
 */
public final class ActivationStore implements ActivationSource {

    /**
     * @param contextSize       tokens per window (T)
     * @param storeBatchPrompts windows per model forward pass
     * @param trainBatchTokens  rows per served batch
     * @param nBatchesInBuffer  batches per refill of the shuffled buffer
     * @param seed              the shuffling seed
     */
    public record Settings(int contextSize, int storeBatchPrompts, int trainBatchTokens, int nBatchesInBuffer, long seed) {
        public Settings {
            if (contextSize < 1) throw new LoupeException("--context-size must be at least 1, got " + contextSize);
            if (storeBatchPrompts < 1) throw new LoupeException("--store-batch-size-prompts must be at least 1, got " + storeBatchPrompts);
            if (trainBatchTokens < 1) throw new LoupeException("--train-batch-size-tokens must be at least 1, got " + trainBatchTokens);
            if (nBatchesInBuffer < 1) throw new LoupeException("--n-batches-in-buffer must be at least 1, got " + nBatchesInBuffer);
        }
    }

    private final Gpt model;
    private final SaeHookPoint hook;
    private final int[] tokens;
    private final Settings settings;
    private final int windows;
    private float scale = 1f;

    private Tensor buffer; // [nBatchesInBuffer · trainBatchTokens, d_in], shuffled
    private long refill = -1;
    private long served;   // batches served so far

    /**
     * A store over {@code tokens} for {@code hook} of {@code model}.
     *
     * @throws LoupeException when the stream is shorter than one window or a token is outside the vocabulary
     */
    public ActivationStore(Gpt model, SaeHookPoint hook, int[] tokens, Settings settings) {
        this.model = model;
        this.hook = hook;
        this.tokens = tokens;
        this.settings = settings;
        if (settings.contextSize > model.config().nPositions()) {
            throw new LoupeException("--context-size " + settings.contextSize + " exceeds the model's context of "
                    + model.config().nPositions() + " positions");
        }
        this.windows = tokens.length / settings.contextSize;
        if (windows < 1) {
            throw new LoupeException("the data holds " + tokens.length + " tokens, fewer than one context window of "
                    + settings.contextSize);
        }
        int vocab = model.config().vocabSize();
        for (int t : tokens) {
            if (t < 0 || t >= vocab) throw new LoupeException("token id " + t + " is outside the model's vocabulary of " + vocab);
        }
    }

    public SaeHookPoint hook() { return hook; }

    public Settings settings() { return settings; }

    /** Width of a row (d_in). */
    @Override
    public int dIn() { return hook.width(); }

    /** Number of whole context windows in the stream. */
    public int windows() { return windows; }

    /** Batches served so far. */
    public long served() { return served; }

    /** The normalisation scale s applied to served rows (1 without normalisation). */
    @Override
    public float scale() { return scale; }

    /** Sets s (a resumed run restores the one it computed). */
    @Override
    public void setScale(float s) { this.scale = s; }

    /**
     * Estimates s = √d_in / mean_n ‖x_n‖ over the rows of refill 0 (raw activations), sets it and
     * returns it.
     */
    @Override
    public float estimateNormScale() {
        Tensor rows = fill(0);
        int n = rows.dim(0), d = rows.dim(1);
        float[] a = rows.data();
        double sum = 0;
        for (int r = 0; r < n; r++) {
            double s = 0;
            for (int i = 0; i < d; i++) s += (double) a[r * d + i] * a[r * d + i];
            sum += Math.sqrt(s);
        }
        double mean = sum / n;
        if (!(mean > 0)) throw new LoupeException("activations at " + hook.name() + " are all zero: nothing to normalise");
        scale = (float) (Math.sqrt(d) / mean);
        refill = -1; // the raw fill above is not a served buffer
        return scale;
    }

    /** Continues as if {@code batches} batches had been served (exact resume). */
    @Override
    public void skipTo(long batches) {
        served = batches;
        refill = -1;
    }

    /** The next shuffled batch [trainBatchTokens, d_in] of (scaled) activations. A view of the buffer: copy to keep it. */
    @Override
    public Tensor next() {
        int per = settings.nBatchesInBuffer;
        long r = served / per;
        int within = (int) (served % per);
        if (r != refill) {
            buffer = fill(r);
            if (scale != 1f) SparseAutoencoder.scaleInPlace(buffer, scale);
            refill = r;
        }
        served++;
        int b = settings.trainBatchTokens;
        return buffer.slice(0, within * b, (within + 1) * b);
    }

    @Override
    public Tensor firstRows() {
        return fill(0);
    }

    /** Refill r: raw activations of its windows, rows shuffled, [nBatchesInBuffer·trainBatchTokens, d_in]. */
    Tensor fill(long r) {
        int rowsNeeded = settings.nBatchesInBuffer * settings.trainBatchTokens;
        int t = settings.contextSize;
        int nWindows = (rowsNeeded + t - 1) / t;
        long firstWindow = r * nWindows;
        int[] ids = new int[nWindows * t];
        for (int w = 0; w < nWindows; w++) {
            int win = (int) ((firstWindow + w) % windows);
            System.arraycopy(tokens, win * t, ids, w * t, t);
        }
        Tensor all = harvest(ids, nWindows);                     // [nWindows·T, d_in]
        int total = all.dim(0), d = all.dim(1);
        int[] perm = new int[total];
        for (int i = 0; i < total; i++) perm[i] = i;
        SplittableRandom rnd = new SplittableRandom(settings.seed * 0x9E3779B97F4A7C15L + r);
        for (int i = total - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int tmp = perm[i]; perm[i] = perm[j]; perm[j] = tmp;
        }
        Tensor out = Tensor.zeros(rowsNeeded, d);
        float[] src = all.data(), dst = out.data();
        Parallel.forRange(rowsNeeded, 256, (from, to) -> {
            for (int i = from; i < to; i++) System.arraycopy(src, perm[i] * d, dst, i * d, d);
        });
        return out;
    }

    /**
     * Raw activations [windows·T, d_in] of {@code nWindows} windows of {@code contextSize} tokens
     * (ids [nWindows·T]), each window its own context, running the model only up to the hooked block.
     */
    public Tensor harvest(int[] ids, int nWindows) {
        return harvest(model, hook, ids, nWindows, settings.contextSize, settings.storeBatchPrompts);
    }

    /** As {@link #harvest(int[], int)} for any model and hook, {@code prompts} windows per forward pass. */
    public static Tensor harvest(Gpt model, SaeHookPoint hook, int[] ids, int nWindows, int t, int prompts) {
        int d = hook.width();
        Tensor out = Tensor.zeros(nWindows * t, d);
        for (int w0 = 0; w0 < nWindows; w0 += prompts) {
            int b = Math.min(prompts, nWindows - w0);
            int[] chunk = java.util.Arrays.copyOfRange(ids, w0 * t, (w0 + b) * t);
            Tensor dst = out.slice(0, w0 * t, (w0 + b) * t);
            Hook copy = Hook.reader((a, name) -> a.reshape(b * t, d).copyInto(dst));
            try (var h = model.hooks().add(hook.name(), copy)) {
                model.forwardThrough(chunk, b, t, hook.layer());
            }
        }
        return out;
    }
}
