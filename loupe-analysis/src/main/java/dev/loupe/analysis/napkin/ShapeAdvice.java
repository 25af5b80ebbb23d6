package dev.loupe.analysis.napkin;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Advice on the shape of a model (seed 000, points 4 and 5): d_model = heads × head_dim with
 * head_dim near 64–128, and sizes that are multiples of 64 so matrix kernels run on whole tiles;
 * and, for a parameter budget, dense shapes (d, L, h) near it.
 */
public final class ShapeAdvice {
    private ShapeAdvice() {}

    /** Below this d_model a model is toy-sized: matrix tiles and head_dim conventions do not pay. */
    public static final long TOY_D_MODEL = 256;

    /** Below this vocabulary the unembedding is too small for padding it to matter. */
    public static final long SMALL_VOCAB = 1024;

    /** Whether the tile conventions (head_dim 64–128, multiples of 64) are beside the point at this size. */
    public static boolean isToy(Architecture a) {
        return a.dModel() < TOY_D_MODEL;
    }

    /**
     * Human-readable remarks on an architecture; empty when nothing needs saying. A toy-sized model
     * ({@link #isToy}) gets only the remark that is an error at any size (d_model not divisible by
     * the heads); a vocabulary below {@link #SMALL_VOCAB} gets no padding advice.
     */
    public static List<String> remarks(Architecture a) {
        List<String> out = new ArrayList<>();
        if (a.dModel() % a.heads() != 0) {
            out.add("d_model " + a.dModel() + " is not a multiple of heads " + a.heads()
                    + ": d_model = heads × head_dim must hold exactly");
        } else if (!isToy(a)) {
            long hd = a.dModel() / a.heads();
            if (hd < 64 || hd > 128) {
                out.add("head_dim = " + hd + " (d_model / heads); the usual range is 64–128: "
                        + (hd < 64 ? "fewer, wider heads" : "more heads") + " would be conventional");
            }
            if (hd % 8 != 0) out.add("head_dim " + hd + " is not a multiple of 8: vector kernels waste lanes");
        }
        if (isToy(a)) return out;
        if (a.dModel() % 64 != 0) out.add("d_model " + a.dModel() + " is not a multiple of 64 (next: " + roundUp(a.dModel(), 64) + ")");
        if (!a.attnOnly() && a.dMlp() % 64 != 0) out.add("d_mlp " + a.dMlp() + " is not a multiple of 64 (next: " + roundUp(a.dMlp(), 64) + ")");
        if (a.vocab() % 64 != 0 && a.vocab() >= SMALL_VOCAB) {
            out.add("vocabulary " + a.vocab() + " is not a multiple of 64: padding the embedding to "
                    + roundUp(a.vocab(), 64) + " rows (as nanoGPT and llm.c do) speeds up the unembedding");
        }
        return out;
    }

    /** A dense shape suggestion and its exact parameter count. */
    public record Suggestion(long dModel, long layers, long heads, long params) {}

    /**
     * Dense GPT-2-style shapes (k = 4, head_dim 64 or 128, d a multiple of 128, aspect ratio
     * d / L between 32 and 128 as in published models) whose exact count is closest to
     * {@code target}; at most {@code count} of them, closest first.
     */
    public static List<Suggestion> forParams(double target, long vocab, long context, int count) {
        List<Suggestion> all = new ArrayList<>();
        for (long layers = 2; layers <= 128; layers++) {
            // solve V·d + 12·L·d² = target for d, then round to a multiple of 128
            double d = (-vocab + Math.sqrt((double) vocab * vocab + 48.0 * layers * target)) / (24.0 * layers);
            for (long dm : new long[] {roundDown((long) d, 128), roundUp((long) d, 128)}) {
                if (dm < 128) continue;
                double aspect = (double) dm / layers;
                if (aspect < 32 || aspect > 128) continue;
                long heads = dm >= 2048 ? dm / 128 : dm / 64;
                long params = ParameterCount.of(Architecture.gpt2Style("suggestion", vocab, context, dm, layers, heads)).total();
                all.add(new Suggestion(dm, layers, heads, params));
            }
        }
        return all.stream().distinct()
                .sorted(Comparator.comparingDouble(s -> Math.abs(Math.log(s.params() / target))))
                .limit(count).toList();
    }

    static long roundUp(long x, long m) {
        return (x + m - 1) / m * m;
    }

    static long roundDown(long x, long m) {
        return x / m * m;
    }
}
