package dev.loupe.tokens;

import dev.loupe.LoupeException;

import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A file of uint16 token ids, memory-mapped (no 2 GB limit, no copy until asked). Two formats,
 * told apart by the magic number:
 * <ul>
 *   <li>{@link Format#LLMC llm.c}: a header of 256 little-endian int32 (magic 20240520, version 1,
 *       token count, the rest zero), then the tokens as little-endian uint16;</li>
 *   <li>{@link Format#RAW_UINT16 nanoGPT}: little-endian uint16 tokens and nothing else
 *       ({@code np.array(ids, dtype=np.uint16).tofile(f)}).</li>
 * </ul>
 * A raw file cannot be mistaken for llm.c in practice: it would have to start with the token
 * pair (54984, 308), and 54984 is beyond GPT-2's 50257 ids.
 */
public final class TokenFile {
    /** llm.c's token file magic number (header[0]). */
    public static final int LLMC_MAGIC = 20240520;
    /** llm.c's token file version (header[1]). */
    public static final int LLMC_VERSION = 1;
    /** Header size in bytes of the llm.c format: 256 int32. */
    public static final int LLMC_HEADER_BYTES = 256 * 4;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The two on-disk layouts. */
    public enum Format {
        /** llm.c: 1024-byte header (magic, version, count), then uint16 tokens. */
        LLMC,
        /** nanoGPT: raw little-endian uint16 tokens, no header. */
        RAW_UINT16
    }

    private final Path path;
    private final Format format;
    private final MemorySegment tokens; // the uint16 payload only
    private final long size;

    private TokenFile(Path path, Format format, MemorySegment tokens) {
        this.path = path;
        this.format = format;
        this.tokens = tokens;
        this.size = tokens.byteSize() / 2;
    }

    /**
     * Opens and validates a token file (format detected by the magic number).
     *
     * @throws LoupeException naming the file when it is missing, truncated, has an unknown version
     *                        or a token count that does not match its length
     */
    public static TokenFile open(Path path) {
        MemorySegment all;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto());
        } catch (NoSuchFileException e) {
            throw new LoupeException("token file " + path + " does not exist");
        } catch (IOException e) {
            throw new LoupeException("cannot read token file " + path + ": " + e.getMessage(), e);
        }
        long len = all.byteSize();
        if (len >= 4 && all.get(I32, 0) == LLMC_MAGIC) {
            if (len < LLMC_HEADER_BYTES) {
                throw new LoupeException("token file " + path + " is truncated: it has the llm.c magic " + LLMC_MAGIC
                        + " but only " + len + " bytes, less than the " + LLMC_HEADER_BYTES + "-byte header");
            }
            int version = all.get(I32, 4);
            if (version != LLMC_VERSION) {
                throw new LoupeException("token file " + path + " has llm.c version " + version + " in header[1]; expected "
                        + LLMC_VERSION);
            }
            long count = Integer.toUnsignedLong(all.get(I32, 8));
            long expected = LLMC_HEADER_BYTES + 2 * count;
            if (len != expected) {
                throw new LoupeException("token file " + path + " says it holds " + count + " tokens (header[2]), which needs "
                        + expected + " bytes, but the file has " + len + " bytes"
                        + (len < expected ? " (truncated?)" : ""));
            }
            return new TokenFile(path, Format.LLMC, all.asSlice(LLMC_HEADER_BYTES));
        }
        if (len % 2 != 0) {
            throw new LoupeException("token file " + path + " has no llm.c header (magic " + LLMC_MAGIC
                    + ") and an odd length of " + len + " bytes, so it is not raw uint16 tokens either (truncated?)");
        }
        return new TokenFile(path, Format.RAW_UINT16, all);
    }

    /** All tokens of the file at {@code path} as ints in [0, 65535]. */
    public static int[] readAll(Path path) {
        return open(path).toIntArray();
    }

    /** The file this was read from. */
    public Path path() {
        return path;
    }

    public Format format() {
        return format;
    }

    /** Number of tokens. */
    public long size() {
        return size;
    }

    /** Token {@code i} (0-based), in [0, 65535]. */
    public int get(long i) {
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException("token " + i + " of " + size + " in " + path);
        return Short.toUnsignedInt(tokens.get(U16, 2 * i));
    }

    /** Copies tokens [from, from + count) into {@code dst[dstOffset...]}. */
    public void copyTo(long from, int[] dst, int dstOffset, int count) {
        if (from < 0 || count < 0 || from + count > size) {
            throw new IndexOutOfBoundsException("tokens [" + from + ", " + (from + count) + ") of " + size + " in " + path);
        }
        for (int k = 0; k < count; k++) dst[dstOffset + k] = Short.toUnsignedInt(tokens.get(U16, 2 * (from + k)));
    }

    /** All tokens as an int array (needs size() ≤ 2^31 − 9). */
    public int[] toIntArray() {
        if (size > Integer.MAX_VALUE - 8) {
            throw new LoupeException("token file " + path + " has " + size + " tokens, too many for one array; read it in ranges");
        }
        int[] out = new int[(int) size];
        copyTo(0, out, 0, out.length);
        return out;
    }

    /**
     * Writes {@code tokens} to {@code path} atomically in the given format.
     *
     * @throws LoupeException when a token is outside [0, 65535] (uint16)
     */
    public static void write(Path path, int[] tokens, Format format) {
        for (int i = 0; i < tokens.length; i++) {
            if ((tokens[i] & ~0xFFFF) != 0) {
                throw new LoupeException("cannot write token file " + path + ": token " + i + " is " + tokens[i]
                        + ", outside the uint16 range [0, 65535]");
            }
        }
        AtomicFiles.write(path, raw -> {
            DataOutputStream out = new DataOutputStream(raw);
            if (format == Format.LLMC) {
                byte[] header = new byte[LLMC_HEADER_BYTES];
                MemorySegment h = MemorySegment.ofArray(header);
                h.set(I32, 0, LLMC_MAGIC);
                h.set(I32, 4, LLMC_VERSION);
                h.set(I32, 8, tokens.length);
                out.write(header);
            }
            byte[] buf = new byte[2 * Math.min(tokens.length, 1 << 15)];
            for (int from = 0; from < tokens.length; from += buf.length / 2) {
                int n = Math.min(buf.length / 2, tokens.length - from);
                for (int k = 0; k < n; k++) {
                    buf[2 * k] = (byte) tokens[from + k];
                    buf[2 * k + 1] = (byte) (tokens[from + k] >>> 8);
                }
                out.write(buf, 0, 2 * n);
            }
            out.flush();
        });
    }

    @Override
    public String toString() {
        return "TokenFile(" + path + ", " + format + ", " + size + " tokens)";
    }

}
