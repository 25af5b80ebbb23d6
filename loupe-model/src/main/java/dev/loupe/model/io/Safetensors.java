package dev.loupe.model.io;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.AtomicFiles;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The <a href="https://github.com/huggingface/safetensors">safetensors</a> format: an 8-byte
 * little-endian header length N, N bytes of UTF-8 JSON
 * {@code {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}},
 * then the raw little-endian tensor data, C order, offsets relative to the start of the data.
 *
 * <p>Reading memory-maps the file ({@link #open}) and converts on demand to float32 tensors:
 * F32 is copied in bulk, F16 and BF16 are widened exactly, F64 is rounded to the nearest float32;
 * integer, boolean and 8-bit float tensors cannot be read as float32 and raise a clear error
 * (they may still be present in the file, e.g. HF's causal-mask buffers). Every malformed file
 * (lying header length, bad JSON, unknown dtype, offsets outside the data, overlapping tensors,
 * sizes that do not match dtype × shape, truncation) raises a {@link LoupeException} naming the
 * file and the tensor. As in the reference implementation, the tensors' byte ranges must tile the
 * data region exactly: sorted by offset, each begins where the previous one ends, the first at 0
 * and the last at the end of the file, so a header length off by one, a hole or trailing bytes
 * are refused instead of loading shifted data.
 *
 * <p>Writing produces F32 tensors in the given order, header padded with spaces to a multiple of 8
 * bytes (so the data is aligned), atomically ({@link AtomicFiles}).
 */
public final class Safetensors {

    /** Largest header accepted (the reference implementation's limit): a lying length cannot cost memory. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** The element types of the format, with their sizes in bytes. */
    public enum DType {
        BOOL(1), U8(1), I8(1), F8_E4M3(1), F8_E5M2(1), I16(2), U16(2), F16(2), BF16(2),
        I32(4), U32(4), F32(4), I64(8), U64(8), F64(8);

        public final int bytes;

        DType(int bytes) {
            this.bytes = bytes;
        }

        /** Whether {@link SafetensorsFile#read} can turn this type into float32. */
        public boolean isFloat() {
            return this == F32 || this == F16 || this == BF16 || this == F64;
        }
    }

    /**
     * One tensor's header entry.
     *
     * @param begin first byte, relative to the start of the data region
     * @param end   one past the last byte, relative to the start of the data region
     */
    public record Entry(String name, DType dtype, int[] shape, long begin, long end) {
        public long elements() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }

        @Override
        public String toString() {
            return name + " " + dtype + Arrays.toString(shape);
        }
    }

    private Safetensors() {}

    /** Memory-maps {@code file} and validates its header; close the result to unmap. */
    public static SafetensorsFile open(Path file) {
        return SafetensorsFile.open(file);
    }

    /** Reads every float tensor of {@code file} into memory, in file order. */
    public static Map<String, Tensor> read(Path file) {
        try (SafetensorsFile f = open(file)) {
            return f.readAll();
        }
    }

    /** Writes {@code tensors} as F32 in iteration order, without metadata, atomically. */
    public static void write(Path file, Map<String, Tensor> tensors) {
        write(file, tensors, Map.of());
    }

    /**
     * Writes {@code tensors} as F32 in iteration order plus {@code metadata} (string → string, the
     * format's {@code __metadata__}; omitted when empty), atomically: a reader never sees a
     * partial file.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode md = header.putObject("__metadata__");
            metadata.forEach(md::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name == null || name.isEmpty() || name.equals("__metadata__")) {
                throw new LoupeException("cannot write " + file + ": invalid tensor name '" + name + "'");
            }
            Tensor t = e.getValue();
            long bytes = 4L * t.size();
            ObjectNode entry = header.putObject(name);
            entry.put("dtype", "F32");
            ArrayNode shape = entry.putArray("shape");
            for (int d : t.shape()) shape.add(d);
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(header);
        } catch (JsonProcessingException e) {
            throw new LoupeException("cannot write " + file + ": " + e.getOriginalMessage(), e);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        AtomicFiles.write(file, out -> {
            byte[] len = new byte[8];
            MemorySegment.ofArray(len).set(I64_LE, 0, padded);
            out.write(len);
            out.write(headerBytes);
            byte[] buf = new byte[1 << 16];
            for (Tensor t : tensors.values()) writeFloats(out, t.contiguous(), buf);
        });
    }

    private static void writeFloats(OutputStream out, Tensor t, byte[] buf) throws IOException {
        float[] data = t.data();
        int n = t.size();
        int chunk = buf.length / 4;
        MemorySegment seg = MemorySegment.ofArray(buf);
        for (int i = 0; i < n; i += chunk) {
            int m = Math.min(chunk, n - i);
            MemorySegment.copy(data, t.offset() + i, seg, F32_LE, 0, m);
            out.write(buf, 0, 4 * m);
        }
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
