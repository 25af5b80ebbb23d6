package dev.loupe.tokens.bpe;

import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Property tests with plain JUnit: draw {@code n} inputs from seeded generators and check each one.
 * Every case has its own seed, so a run is deterministic; a failure names the case, its seed and
 * the input as a Java string literal, ready to paste into an example test.
 * {@code -Dloupe.test.seed=N} changes the base seed to explore other inputs.
 */
final class SeededCases {
    private SeededCases() {}

    /** Checks {@code property} on {@code n} texts drawn by {@code generator}; the base seed defaults to a hash of {@code name}. */
    static void forEach(String name, int n, Function<SplittableRandom, String> generator, Consumer<String> property) {
        long base = Long.getLong("loupe.test.seed", name.hashCode());
        for (int i = 0; i < n; i++) {
            long seed = base + i * 0x9E3779B97F4A7C15L;
            String input = generator.apply(new SplittableRandom(seed));
            try {
                property.accept(input);
            } catch (Throwable t) {
                throw new AssertionError(String.format("%s failed on case %d of %d (case seed %d, base seed %d), input %s: %s",
                        name, i, n, seed, base, literal(input), t), t);
            }
        }
    }

    /** {@code s} as a Java string literal: printable ASCII as is, everything else as {@code \\uXXXX} escapes (lone surrogates stay visible). */
    static String literal(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c >= 0x20 && c < 0x7f) b.append(c);
            else b.append(String.format("\\u%04X", (int) c));
        }
        return b.append('"').toString();
    }
}
