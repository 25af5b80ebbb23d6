package dev.loupe.cli.train;

import dev.loupe.analysis.napkin.Architecture;
import dev.loupe.analysis.napkin.MemoryEstimate;
import dev.loupe.analysis.napkin.ParameterCount;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.size.Units;

import java.util.Locale;

/**
 * Checks, before anything is allocated, that a model shape and batch fit in Java arrays and in the
 * heap, from the command line's numbers taken as {@code long} (so that {@code --d-model 1000000000}
 * or {@code --batch 1000000000} cannot wrap round to a negative size). Loupe keeps every tensor in one
 * {@code float[]} (at most 2³¹ − 9 elements), and training keeps four float32 numbers per parameter
 * (weight, gradient, AdamW's two moments) plus at least the logits (B·T·V floats) and every layer's
 * attention pattern (B·h·T·T floats); when that certain
 * minimum exceeds the heap ({@link Runtime#maxMemory()}) the run is refused at once, with the
 * napkin-math estimate ({@link MemoryEstimate}, activations included) beside it.
 *
 * @param vocab  V
 * @param ctx    n_positions
 * @param dModel d
 * @param layers L
 * @param heads  h
 * @param dMlp   the MLP width (0 for attention-only)
 * @param swiglu whether the MLP's first matrix is 2·d_mlp wide
 * @param learnedPositions whether there is a position table
 */
record TrainingFootprint(long vocab, long ctx, long dModel, long layers, long heads, long dMlp, boolean swiglu,
                         boolean learnedPositions) {

    /** The most elements one Java array can hold. */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    /** Bytes per parameter while training in float32: weight, gradient, first and second moment. */
    static final int TRAINING_BYTES_PER_PARAMETER = 16;

    /** The footprint of an existing model's configuration. */
    static TrainingFootprint of(dev.loupe.model.GptConfig c) {
        return new TrainingFootprint(c.vocabSize(), c.nPositions(), c.dModel(), c.nLayer(), c.nHead(),
                c.mlp() == dev.loupe.model.GptConfig.Mlp.NONE ? 0 : c.dMlp(), c.mlp() == dev.loupe.model.GptConfig.Mlp.SWIGLU,
                c.positional() == dev.loupe.model.GptConfig.Positional.LEARNED);
    }

    /** The architecture as the napkin math sees it. */
    Architecture architecture() {
        return new Architecture("model", vocab, ctx, dModel, Math.max(1, layers), heads, dMlp, true, dMlp == 0, swiglu,
                learnedPositions, 1, 1);
    }

    /** Parameters, counted in long. */
    long parameters() {
        return ParameterCount.of(architecture()).total();
    }

    /**
     * Refuses (exit 2, one line with the figures) a training run of B rows of T tokens that cannot fit
     * in arrays or in {@code heapBytes}. With a vocabulary of 1 (not yet known: the data is not read
     * yet) it is a lower bound that refuses a hopeless shape before any data is read.
     */
    void checkTraining(long batch, long seq, long heapBytes) {
        checkArrays(batch, seq);
        long params = parameters();
        double state = (double) TRAINING_BYTES_PER_PARAMETER * params;
        double activations = 4.0 * batch * seq * vocab + 4.0 * Math.max(1, layers) * batch * heads * seq * seq;
        if (state + activations > heapBytes) {
            double napkin = MemoryEstimate.of(ParameterCount.of(architecture()), batch, seq, 4).training();
            throw new UsageException(String.format(Locale.ROOT, "this run cannot fit in memory: it needs at least %s "
                            + "(%s parameters for %d layers of d_model %d %s: %s of weights, gradients and "
                            + "AdamW moments; %s of logits and attention patterns for --batch %d × --seq %d; napkin estimate "
                            + "with all activations: %s), but the JVM may use %s; raise it with LOUPE_JVM_OPTS=-Xmx..., or "
                            + "choose a smaller model or batch",
                    Units.bytes(state + activations), Units.count(params), layers, dModel,
                    vocab > 1 ? "and a vocabulary of " + vocab : "whatever the vocabulary", Units.bytes(state),
                    Units.bytes(activations), batch, seq, Units.bytes(napkin), Units.bytes(heapBytes)));
        }
    }

    /** Refuses an evaluation in batches of B windows of T tokens that cannot fit: weights plus one batch of logits. */
    void checkEvaluation(long batch, long seq, long heapBytes) {
        checkArrays(batch, seq);
        long params = parameters();
        double certain = 4.0 * params + 4.0 * batch * seq * vocab;
        if (certain > heapBytes) {
            throw new UsageException(String.format(Locale.ROOT, "evaluating --batch %d windows of --seq %d at once needs %s "
                            + "of logits beside %s of weights, but the JVM may use %s; give a smaller --batch",
                    batch, seq, Units.bytes(4.0 * batch * seq * vocab), Units.bytes(4.0 * params), Units.bytes(heapBytes)));
        }
    }

    /** Every weight and every per-batch activation must fit in one Java array. */
    private void checkArrays(long batch, long seq) {
        long up = swiglu ? 2 * dMlp : dMlp;
        fits("the token embedding (vocabulary × d_model)", multiply(vocab, dModel));
        if (learnedPositions) fits("the position table (context × d_model)", multiply(ctx, dModel));
        fits("the attention weights (d_model × 3·d_model)", multiply(dModel, multiply(3, dModel)));
        if (dMlp > 0) fits("the MLP weights (d_model × " + (swiglu ? "2·" : "") + "d_mlp)", multiply(dModel, up));
        long rows = multiply(batch, seq);
        fits("--batch × --seq (" + batch + " × " + seq + " tokens)", rows);
        fits("the logits of one batch (batch × seq × vocabulary)", multiply(rows, vocab));
        fits("the attention scores of one batch (batch × heads × seq × seq)", multiply(multiply(batch, heads), multiply(seq, seq)));
        if (dMlp > 0) fits("the MLP activations of one batch (batch × seq × d_mlp)", multiply(rows, up));
        fits("the activations of one batch (batch × seq × 3·d_model)", multiply(rows, multiply(3, dModel)));
    }

    private static long multiply(long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static void fits(String what, long elements) {
        if (elements > MAX_ARRAY) {
            throw new UsageException(String.format(Locale.ROOT, "%s would hold %s numbers, more than one Java array can "
                    + "(%,d): choose smaller sizes", what, elements == Long.MAX_VALUE ? "more than 9.2e18"
                    : String.format(Locale.ROOT, "%,d", elements), MAX_ARRAY));
        }
    }
}
