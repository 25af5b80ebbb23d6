package dev.loupe.analysis.trace;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.train.AdamW;

import java.util.Arrays;
import java.util.List;

/**
 * The built-in model of {@code loupe trace}: small enough that every matrix fits on a screen
 * (8 words, d_model 8, 2 heads of 4, one block, a GELU MLP of 32), created from a fixed seed and
 * then trained for {@link #TRAINING_STEPS} AdamW steps on a one-line corpus, so that its
 * predictions mean something ("the cat sat" → "on") and its attention patterns are not uniform.
 * Same arguments, same model, bit for bit (the training is deterministic).
 */
public final class TinyModel {
    /** The vocabulary, one word per token id, sorted. */
    public static final List<String> WORDS = List.of(".", "a", "cat", "dog", "mat", "on", "sat", "the");
    /** What the model is trained on. */
    public static final String CORPUS = "the cat sat on the mat . a dog sat on a mat . the dog sat on the cat . a cat sat on the dog .";
    public static final long SEED = 7;
    public static final int TRAINING_STEPS = 60;
    private static final int WINDOW = 8;

    private TinyModel() {}

    /** The configuration: GPT-2's layout at toy size, LayerNorm placed as {@code norm} says. */
    public static GptConfig config(GptConfig.Norm norm) {
        return new GptConfig(WORDS.size(), 16, 8, 1, 2, 32, 1e-5f, true, norm, GptConfig.Mlp.GELU,
                GptConfig.Positional.LEARNED);
    }

    /** The built-in model with LayerNorm placed as {@code norm} says, trained on {@link #CORPUS}. */
    public static Gpt create(GptConfig.Norm norm) {
        Gpt gpt = Gpt.create(config(norm), SEED);
        int[] corpus = encode(CORPUS);
        AdamW adam = new AdamW(gpt.parameters(), new AdamW.Settings(0.9, 0.99, 1e-8, 0.0));
        int[] in = new int[WINDOW], out = new int[WINDOW];
        int starts = corpus.length - WINDOW;
        for (int s = 0; s < TRAINING_STEPS; s++) {
            int from = (s * 5) % starts;
            System.arraycopy(corpus, from, in, 0, WINDOW);
            System.arraycopy(corpus, from + 1, out, 0, WINDOW);
            gpt.zeroGradients();
            gpt.forwardBackward(in, out, 1, WINDOW);
            adam.step(0.02, gpt.gradients());
        }
        gpt.zeroGradients();
        return gpt;
    }

    /** Words separated by spaces → ids; an unknown word is a {@link LoupeException} listing the vocabulary. */
    public static int[] encode(String text) {
        String[] words = text.strip().split("\\s+");
        if (text.isBlank()) return new int[0];
        int[] ids = new int[words.length];
        for (int i = 0; i < words.length; i++) {
            ids[i] = WORDS.indexOf(words[i]);
            if (ids[i] < 0) {
                throw new LoupeException("'" + words[i] + "' is not in the built-in model's vocabulary "
                        + Arrays.toString(WORDS.toArray()) + " (words separated by spaces; or use --model DIR)");
            }
        }
        return ids;
    }

    /** The word of a token id. */
    public static String word(int id) {
        return WORDS.get(id);
    }

    /** One line for the header of a trace. */
    public static String describe(GptConfig.Norm norm) {
        return "built-in model: 1 block, d_model 8, 2 heads (d_head 4), GELU MLP 32, " + (norm == GptConfig.Norm.PRE ? "pre-LN" : "post-LN")
                + ", 8 words " + WORDS + "; initialised from seed " + SEED + ", trained " + TRAINING_STEPS
                + " AdamW steps on \"" + CORPUS + "\"";
    }
}
