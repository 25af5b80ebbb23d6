package dev.loupe.tokens;

import dev.loupe.tensor.io.AtomicFiles;
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
 * A file of token ids, memory-mapped (no 2 GB limit, no copy until asked). Three formats, told
 * apart by the magic number:
 * <ul>
 *   <li>{@link Format#LLMC llm.c} (GPT-2 vocabularies): a header of 256 little-endian int32 (magic
 *       20240520, version 1, token count, the rest zero), then the tokens as little-endian uint16;</li>
 *   <li>{@link Format#LLMC_UINT32 llm.c's LLaMA-3 format}: the same header with magic 20240801 and
 *       version 7 ({@code dev/data/data_common.py}, {@code "llama-3"}), then little-endian uint32 tokens
 *       (vocabularies beyond 65,536 ids);</li>
 *   <li>{@link Format#RAW_UINT16 nanoGPT}: little-endian uint16 tokens and nothing else
 *       ({@code np.array(ids, dtype=np.uint16).tofile(f)}).</li>
 * </ul>
 * A raw file cannot be mistaken for llm.c in practice: it would have to start with the token
 * pair (54984, 308) or (55201, 308), beyond GPT-2's 50257 ids. A file with either llm.c magic and
 * another version is refused by name, never read as raw tokens.
 */
public final class TokenFile {
    /** llm.c's token file magic number (header[0]). */
    public static final int LLMC_MAGIC = 20240520;
    /** llm.c's token file version (header[1]). */
    public static final int LLMC_VERSION = 1;
    /** llm.c's magic number of token files with uint32 ids (LLaMA-3 vocabularies). */
    public static final int LLMC_UINT32_MAGIC = 20240801;
    /** llm.c's version of the uint32 format (header[1]). */
    public static final int LLMC_UINT32_VERSION = 7;
    /** Header size in bytes of the llm.c format: 256 int32. */
    public static final int LLMC_HEADER_BYTES = 256 * 4;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The on-disk layouts. */
    public enum Format {
        /** llm.c: 1024-byte header (magic 20240520, version 1, count), then uint16 tokens. */
        LLMC(LLMC_MAGIC, LLMC_VERSION, 2),
        /** llm.c's LLaMA-3 format: 1024-byte header (magic 20240801, version 7, count), then uint32 tokens. */
        LLMC_UINT32(LLMC_UINT32_MAGIC, LLMC_UINT32_VERSION, 4),
        /** nanoGPT: raw little-endian uint16 tokens, no header. */
        RAW_UINT16(0, 0, 2);

        final int magic, version, bytesPerToken;

        Format(int magic, int version, int bytesPerToken) {
            this.magic = magic;
            this.version = version;
            this.bytesPerToken = bytesPerToken;
        }

        /** The largest id this format stores: 65,535 for uint16, 2³¹ − 1 for uint32 (Java ints). */
        public long maxId() {
            return bytesPerToken == 2 ? 0xFFFF : Integer.MAX_VALUE;
        }
    }

    private final Path path;
    private final Format format;
    private final MemorySegment tokens; // the token payload only
    private final long size;

    private TokenFile(Path path, Format format, MemorySegment tokens) {
        this.path = path;
        this.format = format;
        this.tokens = tokens;
        this.size = tokens.byteSize() / format.bytesPerToken;
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
        int magic = len >= 4 ? all.get(I32, 0) : 0;
        for (Format f : new Format[] {Format.LLMC, Format.LLMC_UINT32}) {
            if (magic == f.magic) return openLlmc(path, all, f);
        }
        if (len % 2 != 0) {
            throw new LoupeException("token file " + path + " has no llm.c header (magic " + LLMC_MAGIC
                    + ") and an odd length of " + len + " bytes, so it is not raw uint16 tokens either (truncated?)");
        }
        return new TokenFile(path, Format.RAW_UINT16, all);
    }

    private static TokenFile openLlmc(Path path, MemorySegment all, Format f) {
        long len = all.byteSize();
        if (len < LLMC_HEADER_BYTES) {
            throw new LoupeException("token file " + path + " is truncated: it has the llm.c magic " + f.magic
                    + " but only " + len + " bytes, less than the " + LLMC_HEADER_BYTES + "-byte header");
        }
        int version = all.get(I32, 4);
        if (version != f.version) {
            throw new LoupeException("token file " + path + " has llm.c's magic " + f.magic + " with version " + version
                    + " in header[1]; Loupe reads llm.c's version " + LLMC_VERSION + " (magic " + LLMC_MAGIC + ", uint16 ids) and "
                    + "version " + LLMC_UINT32_VERSION + " (magic " + LLMC_UINT32_MAGIC + ", uint32 ids)");
        }
        long count = Integer.toUnsignedLong(all.get(I32, 8));
        long expected = LLMC_HEADER_BYTES + f.bytesPerToken * count;
        if (len != expected) {
            throw new LoupeException("token file " + path + " says it holds " + count + " tokens (header[2]) of "
                    + f.bytesPerToken + " bytes, which needs " + expected + " bytes, but the file has " + len + " bytes"
                    + (len < expected ? " (truncated?)" : ""));
        }
        return new TokenFile(path, f, all.asSlice(LLMC_HEADER_BYTES));
    }

    /** All tokens of the file at {@code path} as non-negative ints. */
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

    /** Token {@code i} (0-based): in [0, 65535] for uint16 files, [0, 2³¹ − 1] for uint32 files. */
    public int get(long i) {
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException("token " + i + " of " + size + " in " + path);
        return read(i);
    }

    private int read(long i) {
        if (format.bytesPerToken == 2) return Short.toUnsignedInt(tokens.get(U16, 2 * i));
        int id = tokens.get(I32, 4 * i);
        if (id < 0) {
            throw new LoupeException("token file " + path + ": token " + i + " is " + Integer.toUnsignedString(id)
                    + ", beyond any vocabulary Loupe can hold (2^31 - 1 ids)");
        }
        return id;
    }

    /** Copies tokens [from, from + count) into {@code dst[dstOffset...]}. */
    public void copyTo(long from, int[] dst, int dstOffset, int count) {
        if (from < 0 || count < 0 || from + count > size) {
            throw new IndexOutOfBoundsException("tokens [" + from + ", " + (from + count) + ") of " + size + " in " + path);
        }
        for (int k = 0; k < count; k++) dst[dstOffset + k] = read(from + k);
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
     * Writes {@code tokens} to {@code path} atomically in the given format: what llm.c's
     * {@code write_datafile} writes for "gpt-2" ({@link Format#LLMC}) and "llama-3"
     * ({@link Format#LLMC_UINT32}), or nanoGPT's raw uint16.
     *
     * @throws LoupeException when a token does not fit the format (uint16: outside [0, 65535]),
     *                        naming the first one and its position
     */
    public static void write(Path path, int[] tokens, Format format) {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] > format.maxId()) {
                throw new LoupeException("cannot write token file " + path + ": token " + i + " is " + tokens[i]
                        + ", outside the " + (format.bytesPerToken == 2 ? "uint16" : "uint32") + " range [0, " + format.maxId() + "]");
            }
        }
        int width = format.bytesPerToken;
        AtomicFiles.write(path, raw -> {
            DataOutputStream out = new DataOutputStream(raw);
            if (format != Format.RAW_UINT16) {
                byte[] header = new byte[LLMC_HEADER_BYTES];
                MemorySegment h = MemorySegment.ofArray(header);
                h.set(I32, 0, format.magic);
                h.set(I32, 4, format.version);
                h.set(I32, 8, tokens.length);
                out.write(header);
            }
            byte[] buf = new byte[width * Math.min(tokens.length, 1 << 15)];
            for (int from = 0; from < tokens.length; from += buf.length / width) {
                int n = Math.min(buf.length / width, tokens.length - from);
                for (int k = 0; k < n; k++) {
                    for (int b = 0; b < width; b++) buf[width * k + b] = (byte) (tokens[from + k] >>> (8 * b));
                }
                out.write(buf, 0, width * n);
            }
            out.flush();
        });
    }

    @Override
    public String toString() {
        return "TokenFile(" + path + ", " + format + ", " + size + " tokens)";
    }

}
