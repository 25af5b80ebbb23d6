package dev.loupe.model.io;

import dev.loupe.LoupeException;
import dev.loupe.model.GptConfig;
import dev.loupe.model.GptConfig.Mlp;
import dev.loupe.model.GptConfig.Norm;
import dev.loupe.model.GptConfig.Positional;
import dev.loupe.tensor.Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Random mutations of valid files: the parsers either succeed or throw {@link LoupeException};
 * never an NPE, an index error, or an out-of-memory from a lying length or shape.
 */
class ParserFuzzTest {
    static final String JSON_CHARS = "0123456789-.,:\"{}[]eE tnul";
    static Path dir;
    static byte[] validWeights;
    static String validConfig;

    @BeforeContainer
    static void makeValidFiles() throws IOException {
        dir = Files.createTempDirectory("loupe-fuzz");
        GptConfig c = new GptConfig(5, 4, 4, 1, 2, 8, 1e-5f, false, Norm.PRE, Mlp.GELU, Positional.LEARNED);
        Map<String, Tensor> w = new LinkedHashMap<>();
        long seed = 0;
        for (var e : c.expectedShapes().entrySet()) w.put(e.getKey(), Tensor.randn(seed++, 1f, e.getValue()));
        ModelDirectory.write(dir.resolve("valid"), c, w);
        validWeights = Files.readAllBytes(dir.resolve("valid/model.safetensors"));
        validConfig = Files.readString(dir.resolve("valid/config.json"));
    }

    @AfterContainer
    static void cleanUp() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
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

    @Property(tries = 400)
    void mutatedSafetensorsFailOnlyWithLoupeException(@ForAll long seed) throws IOException {
        Path d = Files.createDirectories(dir.resolve("m" + seed));
        Files.write(d.resolve("model.safetensors"), mutate(validWeights, seed));
        Files.writeString(d.resolve("config.json"), validConfig);
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
        } finally {
            Files.delete(d.resolve("model.safetensors"));
            Files.delete(d.resolve("config.json"));
            Files.delete(d);
        }
    }

    @Property(tries = 400)
    void mutatedConfigsFailOnlyWithLoupeException(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder s = new StringBuilder(validConfig);
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
        try {
            ConfigJson.parse(s.toString(), "config.json");
        } catch (LoupeException expected) {
            // the only acceptable failure
        }
    }
}
