package dev.loupe.model.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.loupe.LoupeException;
import dev.loupe.model.io.Safetensors.DType;
import dev.loupe.model.io.Safetensors.Entry;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.bf16.Bf16Matrix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An open, memory-mapped safetensors file whose header has been validated (see
 * {@link Safetensors}). Tensors are converted to float32 only when {@link #read} asks for them, so
 * a caller can pick the tensors it needs out of a large file. Not thread-confined; close it to
 * unmap (reading afterwards throws {@link IllegalStateException}).
 */
public final class SafetensorsFile implements AutoCloseable {
    private static final int CHUNK = 1 << 14; // elements converted per step for F16/BF16/F64

    private final Path file;
    private final Arena arena;
    private final MemorySegment data; // the data region, after the header
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path file, Arena arena, MemorySegment data, Map<String, Entry> entries,
                            Map<String, String> metadata) {
        this.file = file;
        this.arena = arena;
        this.data = data;
        this.entries = entries;
        this.metadata = metadata;
    }

    static SafetensorsFile open(Path file) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            if (size < 8) {
                throw error(file, "file is truncated: " + size + " bytes, shorter than the 8-byte header length");
            }
            long n = all.get(Safetensors.I64_LE, 0);
            if (n < 2 || n > size - 8) {
                throw error(file, "header length " + Long.toUnsignedString(n) + " does not fit in a file of "
                        + size + " bytes (truncated file, or not a safetensors file)");
            }
            if (n > Safetensors.MAX_HEADER_BYTES) {
                throw error(file, "header length " + n + " exceeds the format's limit of "
                        + Safetensors.MAX_HEADER_BYTES + " bytes");
            }
            byte[] headerBytes = all.asSlice(8, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            MemorySegment data = all.asSlice(8 + n);
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Entry> entries = parseHeader(file, headerBytes, data.byteSize(), metadata);
            return new SafetensorsFile(file, arena, data, entries, Collections.unmodifiableMap(metadata));
        } catch (NoSuchFileException e) {
            arena.close();
            throw new LoupeException(file + ": no such file", e);
        } catch (IOException e) {
            arena.close();
            throw new LoupeException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Map<String, Entry> parseHeader(Path file, byte[] bytes, long dataSize,
                                                  Map<String, String> metadata) {
        JsonNode root;
        try {
            root = Safetensors.JSON.readTree(bytes);
        } catch (JacksonException e) {
            throw error(file, "malformed JSON header: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw error(file, "unreadable JSON header: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw error(file, "the JSON header must be an object mapping tensor names to entries");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String name = f.getKey();
            JsonNode v = f.getValue();
            if (name.equals("__metadata__")) {
                if (!v.isObject()) throw error(file, "__metadata__ must be an object of strings");
                for (Iterator<Map.Entry<String, JsonNode>> m = v.fields(); m.hasNext(); ) {
                    Map.Entry<String, JsonNode> kv = m.next();
                    if (!kv.getValue().isTextual()) {
                        throw error(file, "__metadata__ value of '" + kv.getKey() + "' must be a string");
                    }
                    metadata.put(kv.getKey(), kv.getValue().asText());
                }
                continue;
            }
            entries.put(name, parseEntry(file, name, v, dataSize));
        }
        checkTiling(file, entries, dataSize);
        return Collections.unmodifiableMap(entries);
    }

    private static Entry parseEntry(Path file, String name, JsonNode v, long dataSize) {
        if (!v.isObject()) throw error(file, name, "entry must be an object with dtype, shape, data_offsets");
        JsonNode dt = v.get("dtype");
        if (dt == null || !dt.isTextual()) throw error(file, name, "missing or non-string \"dtype\"");
        DType dtype;
        try {
            dtype = DType.valueOf(dt.asText());
        } catch (IllegalArgumentException e) {
            throw error(file, name, "unknown dtype '" + dt.asText() + "' (known: "
                    + Arrays.toString(DType.values()) + ")");
        }
        JsonNode sh = v.get("shape");
        if (sh == null || !sh.isArray()) throw error(file, name, "missing or non-array \"shape\"");
        int[] shape = new int[sh.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToInt() || d.asInt() < 0) {
                throw error(file, name, "shape " + sh + " must hold non-negative integers below 2^31");
            }
            shape[i] = d.asInt();
            elements = saturatingMultiply(elements, shape[i]);
        }
        if (elements > Integer.MAX_VALUE) {
            throw error(file, name, "shape " + sh + " has more than 2^31-1 elements, beyond a Loupe tensor");
        }
        JsonNode off = v.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2
                || !off.get(0).isIntegralNumber() || !off.get(1).isIntegralNumber()
                || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()
                || off.get(0).asLong() < 0 || off.get(1).asLong() < off.get(0).asLong()) {
            throw error(file, name, "\"data_offsets\" must be [begin, end] with 0 <= begin <= end, got " + off);
        }
        long begin = off.get(0).asLong();
        long end = off.get(1).asLong();
        if (end > dataSize) {
            throw error(file, name, "data_offsets [" + begin + ", " + end + "] lie outside the data region of "
                    + dataSize + " bytes (truncated file?)");
        }
        long needed = elements * dtype.bytes;
        if (end - begin != needed) {
            throw error(file, name, "data_offsets [" + begin + ", " + end + "] span " + (end - begin)
                    + " bytes but " + dtype + " " + Arrays.toString(shape) + " needs " + needed);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /**
     * The byte ranges, sorted by offset, must tile [0, dataSize) exactly (the reference
     * implementation's rule): no overlap, no hole, nothing after the last tensor.
     */
    private static void checkTiling(Path file, Map<String, Entry> entries, long dataSize) {
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        Entry previous = null;
        for (Entry e : sorted) {
            if (e.begin() < covered) {
                throw error(file, e.name(), "data_offsets [" + e.begin() + ", " + e.end() + "] overlap tensor '"
                        + previous.name() + "' [" + previous.begin() + ", " + previous.end() + "]");
            }
            if (e.begin() > covered) {
                throw error(file, e.name(), "data_offsets [" + e.begin() + ", " + e.end() + "] leave bytes ["
                        + covered + ", " + e.begin() + ") of the data region unused"
                        + (previous == null ? " before the first tensor" : " after tensor '" + previous.name() + "'")
                        + "; the offsets must tile the data region (corrupted header?)");
            }
            covered = e.end();
            previous = e;
        }
        if (covered != dataSize) {
            long extra = dataSize - covered;
            throw error(file, (previous == null ? "the header has no tensors but " : "the tensors end at byte " + covered
                    + " (tensor '" + previous.name() + "') but ") + "the data region holds " + dataSize + " bytes: "
                    + extra + " trailing byte" + (extra == 1 ? "" : "s")
                    + " (header length off, data appended, or a tensor missing from the header)");
        }
    }

    private static long saturatingMultiply(long a, long b) {
        long r = a * b;
        if (b != 0 && (r / b != a || r < 0)) return Long.MAX_VALUE;
        return r;
    }

    /** The file this was opened from. */
    public Path path() {
        return file;
    }

    /** Header entries in file order (excluding {@code __metadata__}). */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** The {@code __metadata__} strings (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /**
     * The tensor {@code name} as a new float32 tensor of its shape (F32 copied, F16/BF16 widened
     * exactly, F64 rounded to nearest).
     *
     * @throws LoupeException if there is no such tensor or its dtype is not a float type
     */
    public Tensor read(String name) {
        Entry e = entries.get(name);
        if (e == null) throw error(file, name, "no such tensor in the file");
        if (!arena.scope().isAlive()) throw new IllegalStateException(file + " is closed");
        if (!e.dtype().isFloat()) {
            throw error(file, name, "dtype " + e.dtype() + " cannot be read as float32 (only F32, F16, BF16, F64)");
        }
        int n = (int) e.elements();
        float[] out = new float[n];
        MemorySegment src = data.asSlice(e.begin(), e.end() - e.begin());
        switch (e.dtype()) {
            case F32 -> MemorySegment.copy(src, Safetensors.F32_LE, 0, out, 0, n);
            case F16, BF16 -> {
                short[] buf = new short[Math.min(CHUNK, n)];
                boolean bf = e.dtype() == DType.BF16;
                for (int i = 0; i < n; i += buf.length) {
                    int m = Math.min(buf.length, n - i);
                    MemorySegment.copy(src, Safetensors.I16_LE, 2L * i, buf, 0, m);
                    for (int j = 0; j < m; j++) {
                        out[i + j] = bf ? Float.intBitsToFloat((buf[j] & 0xffff) << 16) : Float.float16ToFloat(buf[j]);
                    }
                }
            }
            case F64 -> {
                double[] buf = new double[Math.min(CHUNK, n)];
                for (int i = 0; i < n; i += buf.length) {
                    int m = Math.min(buf.length, n - i);
                    MemorySegment.copy(src, Safetensors.F64_LE, 8L * i, buf, 0, m);
                    for (int j = 0; j < m; j++) out[i + j] = (float) buf[j];
                }
            }
            default -> throw new AssertionError(e.dtype());
        }
        return Tensor.of(out, e.shape().clone());
    }

    /**
     * The matrix {@code name} in bfloat16: BF16 data as it is stored (no widening, no copy through
     * float32), F32/F16/F64 read as float32 then rounded to nearest, ties to even (as PyTorch's
     * {@code .to(torch.bfloat16)}; F16's 10 mantissa bits become bfloat16's 7).
     *
     * @throws LoupeException if there is no such tensor, it is not a float type, or not a matrix
     */
    public Bf16Matrix readBf16(String name) {
        Entry e = entries.get(name);
        if (e == null) throw error(file, name, "no such tensor in the file");
        if (e.shape().length != 2) throw error(file, name, "shape " + Arrays.toString(e.shape()) + " is not a matrix");
        if (e.dtype() != DType.BF16) return Bf16Matrix.of(read(name));
        if (!arena.scope().isAlive()) throw new IllegalStateException(file + " is closed");
        int n = (int) e.elements();
        short[] out = new short[n];
        MemorySegment.copy(data.asSlice(e.begin(), e.end() - e.begin()), Safetensors.I16_LE, 0, out, 0, n);
        return Bf16Matrix.wrap(out, e.shape()[0], e.shape()[1]);
    }

    /** Every float tensor, in file order; non-float tensors (masks, ids) are skipped. */
    public Map<String, Tensor> readAll() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Entry e : entries.values()) if (e.dtype().isFloat()) out.put(e.name(), read(e.name()));
        return out;
    }

    /** Unmaps the file. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }

    static LoupeException error(Path file, String message) {
        return new LoupeException(file + ": " + message);
    }

    static LoupeException error(Path file, String tensor, String message) {
        return new LoupeException(file + ": tensor '" + tensor + "': " + message);
    }
}
