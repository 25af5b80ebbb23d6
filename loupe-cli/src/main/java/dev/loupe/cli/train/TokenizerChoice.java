package dev.loupe.cli.train;

import dev.loupe.cli.UsageException;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizer;
import dev.loupe.tokens.bpe.BpeTrainer;
import dev.loupe.tokens.bpe.Gpt2Vocabulary;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The tokenizer of a new model trained on text ({@code train --tokenizer}):
 * <ul>
 *   <li>{@code char}: one token per character of the training text (a small vocabulary);</li>
 *   <li>{@code gpt2}: GPT-2's byte-level BPE, 50,257 tokens (the ids GPT-2 and its token files use);</li>
 *   <li>{@code bpe:N}: a byte-level BPE of N tokens learned from the training text itself
 *       ({@link BpeTrainer}: 256 bytes, N − 257 merges, {@code <|endoftext|>}).</li>
 * </ul>
 * The tokenizer is saved beside the model, so resuming reuses it and never learns it again.
 *
 * @param kind      which tokenizer
 * @param bpeTokens the vocabulary size of {@code bpe:N}, else 0
 */
record TokenizerChoice(Kind kind, int bpeTokens) {
    enum Kind { CHAR, GPT2, BPE }

    /** The smallest BPE vocabulary: the 256 bytes and end-of-text. */
    static final int MIN_BPE = 257;

    /** Parses {@code char}, {@code gpt2} or {@code bpe:N}; anything else is a usage error that says what is accepted. */
    static TokenizerChoice parse(String s) {
        String v = s.strip().toLowerCase(Locale.ROOT);
        if (v.equals("char")) return new TokenizerChoice(Kind.CHAR, 0);
        if (v.equals("gpt2")) return new TokenizerChoice(Kind.GPT2, 0);
        if (v.startsWith("bpe:")) {
            String n = v.substring(4).replace("_", "");
            int size;
            try {
                size = Integer.parseInt(n);
            } catch (NumberFormatException e) {
                throw new UsageException("--tokenizer " + s + ": the vocabulary size after 'bpe:' must be a whole number, e.g. bpe:4096");
            }
            if (size < MIN_BPE) {
                throw new UsageException("--tokenizer " + s + ": a byte-level BPE needs at least " + MIN_BPE
                        + " tokens (256 bytes + <|endoftext|>), e.g. bpe:4096");
            }
            return new TokenizerChoice(Kind.BPE, size);
        }
        if (v.equals("bpe")) throw new UsageException("--tokenizer bpe needs a vocabulary size: bpe:N, e.g. bpe:4096");
        throw new UsageException("--tokenizer must be char, gpt2 or bpe:N (e.g. bpe:4096), got " + s);
    }

    /** Builds the tokenizer for {@code text}; learning a BPE reports its progress on {@code err} about once a second. */
    Tokenizer build(String text, PrintStream err) {
        return switch (kind) {
            case CHAR -> CharTokenizer.fromCorpus(text);
            case GPT2 -> Gpt2Vocabulary.bundled();
            case BPE -> learnBpe(text, err);
        };
    }

    private Tokenizer learnBpe(String text, PrintStream err) {
        int merges = bpeTokens - MIN_BPE;
        err.printf(Locale.ROOT, "learning a byte-level BPE of %,d tokens (%,d merges) on %,d characters%n", bpeTokens, merges,
                text.length());
        long t0 = System.nanoTime();
        long[] last = {t0};
        Tokenizer t = BpeTrainer.train(text, bpeTokens, done -> {
            long now = System.nanoTime();
            if (now - last[0] >= 1_000_000_000L && done < merges) {
                last[0] = now;
                err.printf(Locale.ROOT, "  BPE: %,d of %,d merges (%.0f%%)%n", done, merges, 100.0 * done / Math.max(1, merges));
            }
        });
        double s = (System.nanoTime() - t0) / 1e9;
        err.printf(Locale.ROOT, "learned %,d tokens in %.1f s%s%n", t.vocabSize(), s,
                t.vocabSize() < bpeTokens ? " (the text has no more pairs to merge, so fewer than " + bpeTokens + ")" : "");
        return t;
    }

    @Override
    public String toString() {
        return kind == Kind.BPE ? "bpe:" + bpeTokens : kind.name().toLowerCase(Locale.ROOT);
    }
}
