package dev.loupe.tokens;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.loupe.tokens.bpe.ByteLevelBpe;
import dev.loupe.tokens.bpe.Gpt2Vocabulary;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.ToIntFunction;

/**
 * PERFORMANCE.md P5: GPT-2 BPE encoding throughput of Loupe's {@link ByteLevelBpe} against
 * jtokkit's {@code r50k_base} {@code encodeOrdinary}, measured in the same run on the same text
 * (target: ≥ 2× jtokkit). Both warm up first (JIT), then timed rounds alternate between the two
 * so that machine noise hits both alike; the figure is the median round. Also checks that both
 * give identical ids, so a fast but wrong encoder cannot win.
 */
public final class TokenizerBenchmark {
    private TokenizerBenchmark() {}

    /**
     * The measured figures.
     *
     * @param loupeMBps   Loupe's encoding speed, MB of UTF-8 input per second (median round)
     * @param jtokkitMBps jtokkit's, same text, same run
     * @param bytes       size of the text in UTF-8 bytes
     * @param tokens      number of tokens of the text
     * @param identical   whether both produced the same ids
     * @param threads     threads Loupe may use ({@code LOUPE_THREADS}); jtokkit uses one
     */
    public record Result(double loupeMBps, double jtokkitMBps, long bytes, int tokens, boolean identical, int threads) {
        /** loupe / jtokkit. */
        public double speedup() {
            return loupeMBps / jtokkitMBps;
        }

        @Override
        public String toString() {
            return String.format("GPT-2 BPE encode, %.2f MB, %d tokens: loupe %.1f MB/s (%d threads), jtokkit %.1f MB/s, %.2fx%s",
                    bytes / 1e6, tokens, loupeMBps, threads, jtokkitMBps, speedup(), identical ? "" : "  IDS DIFFER");
        }
    }

    /** Runs the benchmark on {@code text} with GPT-2's bundled vocabulary; {@code rounds} timed rounds per side (≥ 1). */
    public static Result run(String text, int rounds) {
        return run(text, Gpt2Vocabulary.bundled(), rounds);
    }

    /** Runs the benchmark on {@code text} with the given GPT-2 tokenizer; {@code rounds} timed rounds per side (≥ 1). */
    public static Result run(String text, ByteLevelBpe gpt2, int rounds) {
        Encoding jtokkit = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
        ToIntFunction<String> ours = s -> gpt2.encode(s).length;
        ToIntFunction<String> theirs = s -> jtokkit.encodeOrdinary(s).size();
        long bytes = text.getBytes(StandardCharsets.UTF_8).length;
        // warm-up: at least ~5 MB through each, so both are compiled before timing
        int warm = (int) Math.max(3, Math.min(50, 5_000_000 / Math.max(1, bytes)));
        for (int i = 0; i < warm; i++) {
            ours.applyAsInt(text);
            theirs.applyAsInt(text);
        }
        long[] a = new long[rounds], b = new long[rounds];
        for (int r = 0; r < rounds; r++) {
            a[r] = time(ours, text);
            b[r] = time(theirs, text);
        }
        int[] idsOurs = gpt2.encode(text);
        boolean same = Arrays.equals(idsOurs, jtokkit.encodeOrdinary(text).toArray());
        return new Result(mbps(bytes, median(a)), mbps(bytes, median(b)), bytes, idsOurs.length, same,
                dev.loupe.tensor.Parallel.threads());
    }

    private static long time(ToIntFunction<String> f, String text) {
        long t0 = System.nanoTime();
        int n = f.applyAsInt(text);
        long dt = System.nanoTime() - t0;
        if (n < 0) throw new AssertionError(); // keep the result alive
        return dt;
    }

    private static long median(long[] xs) {
        long[] s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static double mbps(long bytes, long nanos) {
        return bytes / 1e6 / (nanos / 1e9);
    }

    /** {@code java ... dev.loupe.tokens.TokenizerBenchmark FILE [ROUNDS]}: prints the result line. */
    public static void main(String[] args) throws Exception {
        String text = java.nio.file.Files.readString(java.nio.file.Path.of(args[0]));
        System.out.println(run(text, args.length > 1 ? Integer.parseInt(args[1]) : 10));
    }
}
