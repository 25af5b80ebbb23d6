package dev.loupe.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.LoupeException;
import dev.loupe.cli.UsageException;
import dev.loupe.tokens.TokenizerBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code loupe bench tokenizer}: GPT-2 BPE encoding MB/s, Loupe next to jtokkit in the same run (PERFORMANCE.md P5). */
@Command(name = "tokenizer", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
                "GPT-2 byte-level BPE encoding speed in MB of UTF-8 text per second: Loupe's encoder next to",
                "jtokkit's r50k_base (the same vocabulary) on the same text in the same run. Both warm up",
                "first, then timed rounds alternate between the two; the figure is the median round. The ids",
                "of both are compared: a fast but wrong encoder does not count (exit 1 when they differ).",
                "Target (PERFORMANCE.md P5): at least 2x jtokkit on Tiny Shakespeare.",
                "",
                "The default text is Tiny Shakespeare from the shared data directory ($LOUPE_SHARED, else",
                "../shared beside the repository): data/tinyshakespeare.txt.", ""},
        footer = {"", "Examples:", "  loupe bench tokenizer", "  loupe bench tokenizer --file corpus.txt --rounds 20 --json"})
public final class TokenizerBenchCommand implements Callable<Integer> {
    static final String DEFAULT_TEXT = "tinyshakespeare.txt";

    @Option(names = "--file", paramLabel = "FILE", description = "UTF-8 text to encode (default: the shared Tiny Shakespeare).")
    Path file;
    @Option(names = "--rounds", defaultValue = "10", paramLabel = "N", description = "Timed rounds per encoder (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "--json", description = "Print the figures as JSON.")
    boolean json;

    @Override
    public Integer call() {
        if (rounds < 1) throw new UsageException("--rounds must be at least 1, got " + rounds);
        Path text = file != null ? file : SharedData.data(DEFAULT_TEXT).orElseThrow(() -> new LoupeException(
                "Tiny Shakespeare not found (looked in $LOUPE_SHARED/data and ../shared/data beside the repository); "
                        + "give a text with --file FILE"));
        String s = read(text);
        if (s.isEmpty()) throw new LoupeException(text + " is empty: nothing to encode");
        System.err.printf(Locale.ROOT, "encoding %s (%.2f MB) with Loupe and jtokkit: warm-up, then %d timed rounds each…%n",
                text, s.getBytes(StandardCharsets.UTF_8).length / 1e6, rounds);
        TokenizerBenchmark.Result r = TokenizerBenchmark.run(s, rounds);
        if (json) {
            ObjectNode o = new ObjectMapper().createObjectNode();
            o.put("file", text.toString()).put("bytes", r.bytes()).put("tokens", r.tokens()).put("rounds", rounds)
                    .put("loupe_mb_per_s", round(r.loupeMBps())).put("jtokkit_mb_per_s", round(r.jtokkitMBps()))
                    .put("ratio", round(r.speedup())).put("identical_ids", r.identical()).put("loupe_threads", r.threads());
            System.out.println(o.toPrettyString());
        } else {
            System.out.printf(Locale.ROOT, "GPT-2 BPE encoding of %s: %,d bytes, %,d tokens, median of %d rounds%n",
                    text.getFileName(), r.bytes(), r.tokens(), rounds);
            System.out.printf(Locale.ROOT, "  loupe    %8.2f MB/s  (%d thread%s)%n", r.loupeMBps(), r.threads(), r.threads() == 1 ? "" : "s");
            System.out.printf(Locale.ROOT, "  jtokkit  %8.2f MB/s  (r50k_base encodeOrdinary, 1 thread)%n", r.jtokkitMBps());
            System.out.printf(Locale.ROOT, "  ratio    %8.2fx     (target: at least 2x)%n", r.speedup());
            System.out.printf("  ids      %s%n", r.identical() ? "identical" : "DIFFERENT");
        }
        if (!r.identical()) throw new LoupeException("Loupe's and jtokkit's ids differ on " + text + ": the speed figures do not count");
        return 0;
    }

    private static double round(double x) {
        return Math.round(x * 100) / 100.0;
    }

    private static String read(Path f) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(f))).toString();
        } catch (CharacterCodingException e) {
            throw new LoupeException(f + " is not UTF-8 text");
        } catch (IOException e) {
            throw new LoupeException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }
}
