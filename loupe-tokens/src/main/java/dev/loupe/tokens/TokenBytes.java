package dev.loupe.tokens;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Text of byte-level tokens for display. */
public final class TokenBytes {
    private TokenBytes() {}

    /**
     * The bytes as UTF-8 text where they are valid; each byte of an invalid or incomplete
     * sequence (a token holding part of a character) as {@code <0xE2>}.
     */
    public static String display(byte[] b) {
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(b);
        CharBuffer out = CharBuffer.allocate(b.length * 2 + 8);
        StringBuilder sb = new StringBuilder();
        while (true) {
            var result = decoder.decode(in, out, true);
            out.flip();
            sb.append(out);
            out.clear();
            if (result.isError()) {
                for (int k = 0; k < result.length(); k++) sb.append(String.format("<0x%02X>", in.get() & 0xFF));
            } else if (result.isUnderflow()) {
                break;
            }
        }
        return sb.toString();
    }
}
