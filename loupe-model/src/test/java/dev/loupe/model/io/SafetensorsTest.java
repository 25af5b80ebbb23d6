package dev.loupe.model.io;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsTest {
    @TempDir
    Path dir;

    /** A safetensors file from a literal JSON header and raw data bytes. */
    static byte[] raw(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }

    static byte[] shorts(int... v) {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : v) b.putShort((short) x);
        return b.array();
    }

    Path file(byte[] bytes) throws IOException {
        Path p = dir.resolve("t.safetensors");
        Files.write(p, bytes);
        return p;
    }

    @Test
    void roundTripKeepsNamesOrderShapesValuesAndMetadata() throws IOException {
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("b.weight", Tensor.randn(1, 1f, 3, 5));
        in.put("a.bias", Tensor.randn(2, 1f, 7));
        in.put("scalar", Tensor.scalar(4.5f));
        in.put("empty", Tensor.zeros(0, 3));
        in.put("view", Tensor.randn(3, 1f, 4, 6).transpose(0, 1)); // non-contiguous: written in logical order
        Path p = dir.resolve("sub/x.safetensors");
        Safetensors.write(p, in, Map.of("format", "pt"));
        try (SafetensorsFile f = Safetensors.open(p)) {
            assertThat(f.metadata()).containsEntry("format", "pt");
            assertThat(f.entries().keySet()).containsExactly("b.weight", "a.bias", "scalar", "empty", "view");
            Map<String, Tensor> out = f.readAll();
            for (String k : in.keySet()) {
                assertThat(out.get(k).shape()).as(k).isEqualTo(in.get(k).shape());
                assertThat(out.get(k).toArray()).as(k).containsExactly(in.get(k).toArray());
            }
        }
        assertThat(p.getParent()).isDirectoryContaining(q -> q.getFileName().toString().equals("x.safetensors"));
        try (var s = Files.list(p.getParent())) {
            assertThat(s.count()).as("no temporary files left behind").isEqualTo(1);
        }
    }

    @Test
    void headerIsPaddedSoDataIsEightByteAligned() throws IOException {
        Path p = dir.resolve("a.safetensors");
        Safetensors.write(p, Map.of("x", Tensor.zeros(3)));
        long n = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertThat(n % 8).isZero();
    }

    @Test
    void widensF16AndBF16ExactlyAndNarrowsF64() throws IOException {
        byte[] f16 = shorts(0x3C00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0x3555);
        byte[] bf16 = shorts(0x3F80, 0xC0A0, 0x4049);
        ByteBuffer f64 = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.1).putDouble(-1e300);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.write(f16);
        data.write(bf16);
        data.write(f64.array());
        String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[0,12]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[12,18]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[18,34]}}";
        try (SafetensorsFile f = Safetensors.open(file(raw(header, data.toByteArray())))) {
            Tensor h = f.read("h");
            assertThat(h.shape()).containsExactly(2, 3);
            assertThat(h.toArray()).containsExactly(1f, -2f, 65504f, (float) Math.pow(2, -24),
                    Float.POSITIVE_INFINITY, 0.33325195f);
            assertThat(f.read("b").toArray()).containsExactly(1f, -5f, 3.140625f);
            assertThat(f.read("d").toArray()).containsExactly(0.1f, Float.NEGATIVE_INFINITY);
        }
    }

    @Test
    void nonFloatTensorsAreSkippedByReadAllAndRefusedByRead() throws IOException {
        String header = "{\"mask\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[0,2]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}";
        byte[] data = {1, 0, 0, 0, (byte) 0x80, 0x3f};
        try (SafetensorsFile f = Safetensors.open(file(raw(header, data)))) {
            assertThat(f.readAll()).containsOnlyKeys("w");
            assertThat(f.read("w").toArray()).containsExactly(1f);
            assertThatThrownBy(() -> f.read("mask")).isInstanceOf(LoupeException.class)
                    .hasMessageContaining("'mask'").hasMessageContaining("BOOL");
            assertThatThrownBy(() -> f.read("nope")).isInstanceOf(LoupeException.class)
                    .hasMessageContaining("'nope'").hasMessageContaining("no such tensor");
        }
    }

    void assertBad(byte[] bytes, String... fragments) throws IOException {
        Path p = file(bytes);
        var a = assertThatThrownBy(() -> Safetensors.read(p)).isInstanceOf(LoupeException.class)
                .hasMessageContaining(p.toString());
        for (String s : fragments) a.hasMessageContaining(s);
    }

    static final byte[] FOUR_FLOATS = new byte[16];

    @Test
    void truncatedBeforeTheHeaderLength() throws IOException {
        assertBad(new byte[3], "truncated");
        assertBad(new byte[0], "truncated");
    }

    @Test
    void emptyHeaderObjectIsAValidEmptyFile() throws IOException {
        assertThat(Safetensors.read(file(raw("{}", new byte[0])))).isEmpty();
    }

    @Test
    void lyingHeaderLength() throws IOException {
        byte[] b = raw("{}", new byte[0]);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE);
        assertBad(b, "header length", "does not fit");
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1);
        assertBad(b, "header length");
    }

    @Test
    void malformedJson() throws IOException {
        assertBad(raw("{\"a\":", new byte[0]), "malformed JSON");
        assertBad(raw("[1,2]", new byte[0]), "must be an object");
        assertBad(raw("{\"a\":{},\"a\":{}}", new byte[0]), "malformed JSON");
    }

    @Test
    void offsetsOutsideTheDataRegion() throws IOException {
        assertBad(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[12]),
                "'w'", "outside the data region", "truncated");
        assertBad(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,4]}}", FOUR_FLOATS),
                "'w'", "data_offsets");
        assertBad(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[-4,12]}}", FOUR_FLOATS),
                "'w'", "data_offsets");
    }

    @Test
    void offsetsNotMatchingDtypeTimesShape() throws IOException {
        assertBad(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", FOUR_FLOATS),
                "'w'", "span 16 bytes", "F32 [3] needs 12");
        assertBad(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[65536,65536,65536],\"data_offsets\":[0,16]}}",
                FOUR_FLOATS), "'w'", "2^31");
        assertBad(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,16]}}", FOUR_FLOATS),
                "'w'", "non-negative");
    }

    @Test
    void overlappingTensors() throws IOException {
        assertBad(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", FOUR_FLOATS),
                "'b'", "overlap", "'a'");
    }

    @Test
    void unknownDtypeAndMissingFields() throws IOException {
        assertBad(raw("{\"w\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", FOUR_FLOATS),
                "'w'", "unknown dtype 'F128'");
        assertBad(raw("{\"w\":{\"shape\":[4],\"data_offsets\":[0,16]}}", FOUR_FLOATS), "'w'", "dtype");
        assertBad(raw("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,16]}}", FOUR_FLOATS), "'w'", "shape");
        assertBad(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4]}}", FOUR_FLOATS), "'w'", "data_offsets");
        assertBad(raw("{\"w\":[]}", FOUR_FLOATS), "'w'", "must be an object");
        assertBad(raw("{\"__metadata__\":{\"k\":1}}", FOUR_FLOATS), "__metadata__", "'k'");
    }

    /** Issue 20: the tensors' offsets must tile the data region exactly, as in the reference implementation. */
    @Test
    void offsetsMustTileTheDataRegion() throws IOException {
        assertBad(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]}}", FOUR_FLOATS),
                "4 trailing bytes", "12", "'w'");
        assertBad(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[4,16]}}", FOUR_FLOATS),
                "'w'", "bytes [0, 4)", "unused", "before the first tensor");
        assertBad(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", FOUR_FLOATS),
                "'b'", "bytes [4, 8)", "after tensor 'a'");
        assertBad(raw("{}", new byte[3]), "no tensors", "3 trailing bytes");
        // a zero-size tensor anywhere in the sequence is fine
        assertThat(Safetensors.read(file(raw("{\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[16,16]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", FOUR_FLOATS)))).hasSize(2);
    }

    /** Issue 20: a header length off by one shifted every tensor by a byte and printed NaN predictions. */
    @Test
    void headerLengthOffByOneIsRefused() throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("a", Tensor.of(new float[] {1, 2, 3}, 3));
        t.put("b", Tensor.of(new float[] {4, 5}, 2));
        Path p = dir.resolve("ok.safetensors");
        Safetensors.write(p, t);
        byte[] good = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        for (long delta : new long[] {-1, 1}) {
            byte[] b = good.clone();
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n + delta);
            assertBad(b);
        }
        byte[] appended = java.util.Arrays.copyOf(good, good.length + 4);
        assertBad(appended, "4 trailing bytes");
    }

    @Test
    void trailingTextAfterTheHeaderObjectIsRefused() throws IOException {
        assertBad(raw("{} {}", new byte[0]), "malformed JSON");
    }

    @Test
    void missingFile() {
        Path p = dir.resolve("absent.safetensors");
        assertThatThrownBy(() -> Safetensors.read(p)).isInstanceOf(LoupeException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("no such file");
    }
}
