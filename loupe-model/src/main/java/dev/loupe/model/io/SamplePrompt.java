package dev.loupe.model.io;

import dev.loupe.tensor.io.AtomicFiles;
import dev.loupe.tokens.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A short sample of the text a model was trained on, kept beside it as {@code sample_prompt.txt}
 * (plain UTF-8, the prompt itself) so that the explorer and {@code trace} open on text the model can
 * read: a character model knows only its training text's characters, and a generic default prompt
 * may hold others. A file of its own, not a key in {@code config.json}: Hugging Face tools ignore
 * files they do not know, and the config stays a config.
 *
 * <p>The sample is the window of the training text's beginning in which a span of tokens recurs
 * longest, so the repeated-span heads (previous-token, induction; Olsson et al. 2022) have something
 * to show the moment the explorer opens.
 */
public final class SamplePrompt {
    private SamplePrompt() {}

    /** The file name inside a model directory. */
    public static final String FILE = "sample_prompt.txt";
    /** Tokens a sample holds at most (the explorer's patterns stay legible). */
    public static final int MAX_TOKENS = 64;
    /** Window starts tried: the first this many tokens of the training text. */
    static final int SCAN = 8192;
    /** Bytes read at most from the file (a sample is a few hundred). */
    private static final long MAX_BYTES = 64 * 1024;

    /**
     * The window of at most {@code min(maxTokens, MAX_TOKENS)} tokens, starting within the first
     * {@link #SCAN} tokens of {@code tokens} (at a line or word start when the text has any), whose
     * longest repeated span (two non-overlapping occurrences) is longest; the earliest such window.
     * In a text of words it ends at a word's end (trailing whitespace dropped) when one lies in its
     * second half. Decoded with {@code tok}, shortened until it encodes back within the budget.
     *
     * @param tokens the training text's tokens [N], N ≥ 1
     */
    public static String choose(int[] tokens, Tokenizer tok, int maxTokens) {
        int w = Math.min(Math.min(maxTokens, MAX_TOKENS), tokens.length);
        if (w < 1) throw new IllegalArgumentException("no tokens to sample from (budget " + maxTokens + ", " + tokens.length + " tokens)");
        int last = Math.min(SCAN, tokens.length - w);
        boolean boundaries = false;
        for (int s = 1; s <= last && !boundaries; s++) boundaries = startsWord(tok, tokens, s);
        int best = 0, bestRepeat = -1;
        int[][] run = new int[w + 1][w + 1];   // run[i][j]: length of the common span ending at window positions i-1 and j-1
        for (int s = 0; s <= last; s++) {
            if (s > 0 && boundaries && !startsWord(tok, tokens, s)) continue;
            int r = longestRepeat(tokens, s, w, run);
            if (r > bestRepeat) {
                bestRepeat = r;
                best = s;
            }
        }
        int end = w;   // in a text of words, end at a word's end when one lies in the window's second half
        if (boundaries) {
            int e = w;
            while (e > w / 2 && best + e < tokens.length && !endsWord(tok, tokens, best + e)) e--;
            if (e > w / 2) end = e;
        }
        for (int n = end; n > 1; n--) {
            String text = tok.decode(java.util.Arrays.copyOfRange(tokens, best, best + n));
            if (boundaries) text = text.stripTrailing();
            if (!text.contains("\uFFFD") && !text.isBlank() && tok.encode(text).length <= w) return text;
        }
        return tok.decode(new int[] {tokens[best]});
    }

    /** Whether a word ends before token {@code p}: {@link #startsWord}, or token {@code p} begins with whitespace (GPT-2's " word"). */
    private static boolean endsWord(Tokenizer tok, int[] tokens, int p) {
        String at = tok.tokenText(tokens[p]);
        return startsWord(tok, tokens, p) || (!at.isEmpty() && Character.isWhitespace(at.charAt(0)));
    }

    /** Whether token {@code s} starts a line or a word: the token before it ends in whitespace. */
    private static boolean startsWord(Tokenizer tok, int[] tokens, int s) {
        String before = tok.tokenText(tokens[s - 1]);
        return !before.isEmpty() && Character.isWhitespace(before.charAt(before.length() - 1));
    }

    /** The length of the longest span of {@code tokens} that occurs twice without overlap (0: no token repeats). */
    public static int longestRepeat(int[] tokens) {
        return longestRepeat(tokens, 0, tokens.length, new int[tokens.length + 1][tokens.length + 1]);
    }

    /** The longest span occurring twice without overlap in tokens[s, s + w); {@code run} is scratch of [w + 1][w + 1]. */
    static int longestRepeat(int[] tokens, int s, int w, int[][] run) {
        int best = 0;
        for (int i = 1; i <= w; i++) {
            for (int j = i + 1; j <= w; j++) {
                int len = tokens[s + i - 1] == tokens[s + j - 1] ? Math.min(run[i - 1][j - 1] + 1, j - i) : 0;
                run[i][j] = len;
                if (len > best) best = len;
            }
        }
        return best;
    }

    /** Writes {@code text} as {@code dir/sample_prompt.txt} (temp file + rename). */
    public static void write(Path dir, String text) {
        AtomicFiles.writeString(dir.resolve(FILE), text);
    }

    /** The sample kept in {@code dir}, or empty when there is none (a model not trained by Loupe, or a token-file run). */
    public static Optional<String> read(Path dir) {
        Path f = dir.resolve(FILE);
        if (!Files.exists(f)) return Optional.empty();
        String text = TextFiles.readUtf8(f, MAX_BYTES);
        return text.isEmpty() ? Optional.empty() : Optional.of(text);
    }
}
