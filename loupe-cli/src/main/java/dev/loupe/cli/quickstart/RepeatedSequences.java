package dev.loupe.cli.quickstart;

import java.util.SplittableRandom;

/**
 * Generated training data that can only be predicted by looking back: blocks of n distinct
 * random symbols followed by the same symbols again, [r₁ … rₙ r₁ … rₙ], one block after another,
 * with n drawn anew for every block.
 *
 * <p>The first half of a block is unpredictable (loss ln V at best); the second half is
 * predictable only by finding the earlier occurrence of the current symbol and copying the one
 * that followed it — what an induction head does (Olsson et al., 2022). Because n varies, the
 * distance to copy from varies too, so a head that copies from a fixed offset cannot solve it.
 */
final class RepeatedSequences {
    /** The symbols, one character per token id: base64's alphabet, so every id prints as one character. */
    static final String ALPHABET = "+/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"; // sorted, as CharTokenizer orders ids

    private RepeatedSequences() {}

    /** One block [r₁ … rₙ r₁ … rₙ] of n distinct ids in [0, vocab) (a partial Fisher–Yates shuffle). */
    static int[] block(SplittableRandom r, int n, int vocab) {
        int[] symbols = new int[vocab];
        for (int i = 0; i < vocab; i++) symbols[i] = i;
        int[] b = new int[2 * n];
        for (int i = 0; i < n; i++) {
            int j = i + r.nextInt(vocab - i);
            int tmp = symbols[i]; symbols[i] = symbols[j]; symbols[j] = tmp;
            b[i] = symbols[i];
            b[n + i] = symbols[i];
        }
        return b;
    }

    /** Blocks with n uniform in [minN, maxN], one after another, until {@code tokens} ids; seeded. */
    static int[] stream(long seed, int tokens, int minN, int maxN, int vocab) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] out = new int[tokens];
        for (int filled = 0; filled < tokens; ) {
            int[] b = block(r, minN + r.nextInt(maxN - minN + 1), vocab);
            int len = Math.min(b.length, tokens - filled);
            System.arraycopy(b, 0, out, filled, len);
            filled += len;
        }
        return out;
    }

    /** The ids as text in {@link #ALPHABET}. */
    static String text(int[] ids, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) sb.append(ALPHABET.charAt(ids[i]));
        return sb.toString();
    }
}
