package dev.loupe.model.io;

import dev.loupe.LoupeException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Small text files (configurations) read defensively: only regular files (a FIFO or a device would
 * block forever or never end), at most a given size, strictly UTF-8 with the offset of the first
 * bad byte in the message (the JDK's own message is "Input length = 1").
 */
final class TextFiles {
    private TextFiles() {}

    /**
     * @throws LoupeException naming {@code file}: not a regular file, larger than {@code maxBytes},
     *                        not UTF-8 (with the byte offset), or unreadable (with the reason)
     */
    static String readUtf8(Path file, long maxBytes) {
        if (!Files.isRegularFile(file)) {
            throw new LoupeException(file + " is not a regular file" + (Files.isDirectory(file) ? " (a directory)"
                    : Files.exists(file) ? " (a FIFO, socket or device: reading it could block forever)" : " (it does not exist)"));
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
        } catch (NoSuchFileException e) {
            throw new LoupeException(file + ": no such file", e);
        } catch (IOException e) {
            throw new LoupeException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (bytes.length > maxBytes) {
            throw new LoupeException(file + " is larger than " + maxBytes + " bytes: not a configuration file");
        }
        return decode(file, bytes);
    }

    private static String decode(Path file, byte[] bytes) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = d.decode(in, out, true);
        if (r.isError()) {
            throw new LoupeException(String.format("%s is not valid UTF-8: byte 0x%02x at offset %d (saved in another"
                    + " encoding? JSON files are UTF-8)", file, bytes[in.position()] & 0xff, in.position()));
        }
        r = d.flush(out);
        if (r.isError()) {
            try {
                r.throwException();
            } catch (CharacterCodingException e) {
                throw new LoupeException(file + " is not valid UTF-8: " + e.getMessage(), e);
            }
        }
        return out.flip().toString();
    }
}
