package dev.loupe.tensor.io;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy's {@code .npy} format for float32 tensors, so that {@code numpy.load} reads what Loupe
 * writes (e.g. {@code loupe logits --out logits.npy}) and vice versa.
 *
 * <p>Layout: magic {@code \x93NUMPY}, version bytes, a little-endian header length, an ASCII
 * Python dict {@code {'descr': '<f4', 'fortran_order': False, 'shape': (T, V), }} padded with
 * spaces and a final newline so the data starts at a multiple of 64 bytes, then the raw data.
 * Writing uses version 1.0, {@code <f4}, C order. Reading accepts versions 1–3, {@code <f4} or
 * {@code >f4}, C or Fortran order.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    /** Writes {@code t} (any view; written in logical row-major order) atomically as float32 {@code .npy}. */
    public static void write(Path file, Tensor t) {
        AtomicFiles.write(file, out -> writeTo(out, t));
    }

    /** Writes {@code t} as float32 {@code .npy} bytes to {@code out} (e.g. an entry of an {@link Npz} archive). */
    public static void writeTo(java.io.OutputStream out, Tensor t) throws IOException {
        StringBuilder shape = new StringBuilder("(");
        for (int d : t.shape()) shape.append(d).append(", ");
        if (t.rank() > 0) shape.setLength(shape.length() - (t.rank() == 1 ? 1 : 2));
        shape.append(')');
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int total = (unpadded + 63) / 64 * 64;
        String header = dict + " ".repeat(total - unpadded) + "\n";
        byte[] head = new byte[MAGIC.length + 4];
        System.arraycopy(MAGIC, 0, head, 0, MAGIC.length);
        head[6] = 1;
        head[7] = 0;
        head[8] = (byte) (header.length() & 0xff);
        head[9] = (byte) (header.length() >>> 8);
        Tensor c = t.contiguous();
        out.write(head);
        out.write(header.getBytes(StandardCharsets.US_ASCII));
        byte[] buf = new byte[1 << 16];
        MemorySegment seg = MemorySegment.ofArray(buf);
        ValueLayout.OfFloat le = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        int n = c.size();
        for (int i = 0; i < n; i += buf.length / 4) {
            int m = Math.min(buf.length / 4, n - i);
            MemorySegment.copy(c.data(), c.offset() + i, seg, le, 0, m);
            out.write(buf, 0, 4 * m);
        }
    }

    /** Reads a float32 {@code .npy} file into a new contiguous tensor. */
    public static Tensor read(Path file) {
        try (Arena arena = Arena.ofConfined();
             FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            long size = all.byteSize();
            if (size < 10 || MemorySegment.mismatch(all, 0, 6, MemorySegment.ofArray(MAGIC), 0, 6) != -1) {
                throw bad(file, "not a .npy file (missing the \\x93NUMPY magic)");
            }
            int major = all.get(ValueLayout.JAVA_BYTE, 6);
            long headerLen;
            long headerStart;
            if (major == 1) {
                headerLen = Short.toUnsignedLong(all.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8));
                headerStart = 10;
            } else if (major == 2 || major == 3) {
                if (size < 12) throw bad(file, "truncated header");
                headerLen = Integer.toUnsignedLong(all.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8));
                headerStart = 12;
            } else {
                throw bad(file, "unsupported .npy version " + major);
            }
            if (headerStart + headerLen > size) throw bad(file, "header length " + headerLen + " exceeds the file");
            String header = new String(all.asSlice(headerStart, headerLen).toArray(ValueLayout.JAVA_BYTE),
                    major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            Matcher d = DESCR.matcher(header);
            if (!d.find()) throw bad(file, "header has no 'descr'");
            ByteOrder order = switch (d.group(1)) {
                case "<f4" -> ByteOrder.LITTLE_ENDIAN;
                case ">f4" -> ByteOrder.BIG_ENDIAN;
                default -> throw bad(file, "dtype '" + d.group(1) + "' is not float32 (expected '<f4');"
                        + " convert with arr.astype(numpy.float32)");
            };
            Matcher f = FORTRAN.matcher(header);
            if (!f.find()) throw bad(file, "header has no 'fortran_order'");
            boolean fortran = f.group(1).equals("True");
            Matcher s = SHAPE.matcher(header);
            if (!s.find()) throw bad(file, "header has no 'shape'");
            int[] shape = parseShape(file, s.group(1));
            long n = 1;
            for (int x : shape) {
                n *= x;
                if (n > Integer.MAX_VALUE) throw bad(file, "shape (" + s.group(1) + ") exceeds 2^31-1 elements");
            }
            long dataStart = headerStart + headerLen;
            if (dataStart + 4 * n > size) {
                throw bad(file, "truncated: shape (" + s.group(1) + ") needs " + 4 * n + " data bytes, the file has "
                        + (size - dataStart));
            }
            float[] data = new float[(int) n];
            MemorySegment.copy(all, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(order), dataStart, data, 0, (int) n);
            if (!fortran) return Tensor.of(data, shape);
            int[] reversed = new int[shape.length];
            for (int i = 0; i < shape.length; i++) reversed[i] = shape[shape.length - 1 - i];
            Tensor t = Tensor.of(data, reversed);
            for (int i = 0; i < shape.length / 2; i++) t = t.transpose(i, shape.length - 1 - i);
            return t.contiguous();
        } catch (NoSuchFileException e) {
            throw new LoupeException(file + ": no such file", e);
        } catch (IOException e) {
            throw new LoupeException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static int[] parseShape(Path file, String s) {
        String[] parts = s.split(",");
        int count = 0;
        for (String p : parts) if (!p.isBlank()) count++;
        int[] shape = new int[count];
        int i = 0;
        for (String p : parts) {
            if (p.isBlank()) continue;
            try {
                shape[i++] = Integer.parseInt(p.strip().replaceAll("L$", ""));
            } catch (NumberFormatException e) {
                throw bad(file, "bad shape (" + s + ")");
            }
            if (shape[i - 1] < 0) throw bad(file, "bad shape (" + s + ")");
        }
        return shape;
    }

    private static LoupeException bad(Path file, String why) {
        return new LoupeException(file + ": " + why);
    }
}
