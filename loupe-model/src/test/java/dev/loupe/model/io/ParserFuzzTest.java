package dev.loupe.model.io;

import dev.loupe.LoupeException;
import dev.loupe.model.GptConfig;
import dev.loupe.model.GptConfig.Mlp;
import dev.loupe.model.GptConfig.Norm;
import dev.loupe.model.GptConfig.Positional;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

/**
 * Random mutations of valid files: the parsers either succeed or throw {@link LoupeException};
 * never an NPE, an index error, or an out-of-memory from a lying length or shape.
 * Each case is a seed; the same seed gives the same mutated file, and a failure names it.
 * {@code -Dloupe.test.seed=N} changes the base seed to explore other mutations.
 */
class ParserFuzzTest {
    static final String JSON_CHARS = "0123456789-.,:\"{}[]eE tnul";
    static final int CASES = 400;
    @TempDir
    static Path dir;
    static byte[] validWeights;
    static String validConfig;

    @BeforeAll
    static void makeValidFiles() throws IOException {
        GptConfig c = new GptConfig(5, 4, 4, 1, 2, 8, 1e-5f, false, Norm.PRE, Mlp.GELU, Positional.LEARNED);
        Map<String, Tensor> w = new LinkedHashMap<>();
        long seed = 0;
        for (var e : c.expectedShapes().entrySet()) w.put(e.getKey(), Tensor.randn(seed++, 1f, e.getValue()));
        ModelDirectory.write(dir.resolve("valid"), c, w);
        validWeights = Files.readAllBytes(dir.resolve("valid/model.safetensors"));
        validConfig = Files.readString(dir.resolve("valid/config.json"));
    }

    /** Runs {@code check} on {@link #CASES} seeds; anything it throws becomes a failure naming the case and its seed. */
    static void forEachSeed(String name, LongConsumer check) {
        SplittableRandom seeds = new SplittableRandom(Long.getLong("loupe.test.seed", name.hashCode()));
        for (int i = 0; i < CASES; i++) {
            long seed = seeds.nextLong();
            try {
                check.accept(seed);
            } catch (Throwable t) {
                throw new AssertionError(String.format("%s failed on case %d of %d, seed %dL: %s", name, i, CASES, seed, t), t);
            }
        }
    }

    /** One of: random byte changes (mostly in the header), digit changes in the JSON, truncation, a new length. */
    static byte[] mutate(byte[] valid, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] b = valid.clone();
        int headerEnd = (int) Math.min(b.length, 8 + ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
        int kind = r.nextInt(5);
        switch (kind) {
            case 0 -> { // byte noise, biased to the header
                for (int i = r.nextInt(1, 6); i > 0; i--) {
                    int at = r.nextInt(4) == 0 ? r.nextInt(b.length) : r.nextInt(headerEnd);
                    b[at] = (byte) r.nextInt(256);
                }
            }
            case 1 -> { // make numbers lie: shapes, offsets
                for (int i = r.nextInt(1, 4); i > 0; i--) {
                    int at = r.nextInt(8, headerEnd);
                    if (Character.isDigit(b[at])) b[at] = (byte) ('0' + r.nextInt(10));
                    else if (r.nextBoolean()) b[at] = (byte) JSON_CHARS.charAt(r.nextInt(JSON_CHARS.length()));
                }
            }
            case 2 -> b = java.util.Arrays.copyOf(b, r.nextInt(b.length)); // truncation
            case 3 -> { // a lying header length
                long n = switch (r.nextInt(3)) {
                    case 0 -> r.nextLong();
                    case 1 -> headerEnd - 8 + r.nextInt(-16, 17);
                    default -> 1L << r.nextInt(63);
                };
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n);
            }
            default -> { // replace a JSON token by another from the header
                String h = new String(b, 8, headerEnd - 8, StandardCharsets.ISO_8859_1);
                String[] swaps = {"F32", "F16", "BF16", "I64", "BOOL", "F64", "X", "null", "[]", "{}", "-1",
                        "99999999999999999999", "1e3", "\"\"", "[0]", "true"};
                String from = swaps[r.nextInt(swaps.length)];
                String to = swaps[r.nextInt(swaps.length)];
                String m = h.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to));
                byte[] hb = m.getBytes(StandardCharsets.ISO_8859_1);
                ByteBuffer out = ByteBuffer.allocate(8 + hb.length + b.length - headerEnd).order(ByteOrder.LITTLE_ENDIAN);
                out.putLong(hb.length).put(hb).put(b, headerEnd, b.length - headerEnd);
                b = out.array();
            }
        }
        return b;
    }

    @Test
    void mutatedSafetensorsFailOnlyWithLoupeException() {
        forEachSeed("mutatedSafetensorsFailOnlyWithLoupeException", seed -> {
            byte[] mutated = mutate(validWeights, seed);
            try {
                Path d = Files.createDirectories(dir.resolve("m" + seed));
                Files.write(d.resolve("model.safetensors"), mutated);
                Files.writeString(d.resolve("config.json"), validConfig);
                readEverything(d);
            } catch (Throwable t) {
                throw new AssertionError("mutate(validWeights, " + seed + "L), " + mutated.length + " bytes, starting "
                        + printable(mutated, 160) + ", threw " + t + " instead of LoupeException", t);
            }
        });
    }

    /** Opens and reads every tensor, then the whole directory; a LoupeException is the only acceptable failure. */
    private static void readEverything(Path d) throws IOException {
        try {
            try (SafetensorsFile f = Safetensors.open(d.resolve("model.safetensors"))) {
                for (String name : f.entries().keySet()) {
                    try {
                        f.read(name);
                    } catch (LoupeException expected) {
                        // non-float dtypes
                    }
                }
            }
            ModelDirectory.read(d);
        } catch (LoupeException expected) {
            // the only acceptable failure
        }
    }

    /** The first {@code max} bytes, printable ASCII as is and the rest as {@code \xNN}. */
    private static String printable(byte[] b, int max) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(b.length, max); i++) {
            int c = b[i] & 0xff;
            s.append(c >= 0x20 && c < 0x7f && c != '\\' ? String.valueOf((char) c) : String.format("\\x%02X", c));
        }
        return s.append(b.length > max ? "..." : "").toString();
    }

    @Test
    void mutatedConfigsFailOnlyWithLoupeException() {
        forEachSeed("mutatedConfigsFailOnlyWithLoupeException", seed -> {
            String config = mutateConfig(validConfig, seed);
            try {
                ConfigJson.parse(config, "config.json");
            } catch (LoupeException expected) {
                // the only acceptable failure
            } catch (Throwable t) {
                throw new AssertionError("config.json " + config + " threw " + t + " instead of LoupeException", t);
            }
        });
    }

    /** One of: truncation, 1-4 chars replaced by JSON characters, 1-4 chars deleted. */
    static String mutateConfig(String valid, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder s = new StringBuilder(valid);
        int kind = r.nextInt(3);
        if (kind == 0) {
            s.setLength(r.nextInt(s.length()));
        } else {
            for (int i = r.nextInt(1, 5); i > 0; i--) {
                int at = r.nextInt(s.length());
                if (kind == 1) s.setCharAt(at, JSON_CHARS.charAt(r.nextInt(JSON_CHARS.length())));
                else s.deleteCharAt(at);
            }
        }
        return s.toString();
    }
}
