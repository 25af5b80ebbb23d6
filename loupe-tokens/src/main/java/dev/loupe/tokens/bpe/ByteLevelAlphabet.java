package dev.loupe.tokens.bpe;

/**
 * GPT-2's {@code bytes_to_unicode()}: a reversible map from the 256 byte values to 256 printable
 * characters, so that byte-level tokens can be written as strings in {@code vocab.json} and
 * {@code merges.txt}. The 188 printable Latin-1 bytes ({@code !}..{@code ~}, {@code ¡}..{@code ¬},
 * {@code ®}..{@code ÿ}) map to themselves; the other 68 (controls, space, soft hyphen, ...) map in
 * byte order to U+0100, U+0101, ... (so a space is {@code Ġ} = U+0120, a newline {@code Ċ} = U+010A).
 */
public final class ByteLevelAlphabet {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final short[] CHAR_TO_BYTE = new short[0x100 + 256];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, (short) -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (0x100 + extra++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = (short) b;
        }
    }

    private ByteLevelAlphabet() {}

    /** The character that stands for byte {@code b} (0..255). */
    public static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte a character stands for, or -1 when it is not in the alphabet. */
    public static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** A token's bytes written in the alphabet (as in vocab.json). */
    public static String encode(byte[] bytes) {
        char[] cs = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) cs[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(cs);
    }

    /** The bytes of a token written in the alphabet, or null when a character is not in it. */
    public static byte[] decode(String s) {
        byte[] out = new byte[s.length()];
        for (int i = 0; i < out.length; i++) {
            int b = byteOf(s.charAt(i));
            if (b < 0) return null;
            out[i] = (byte) b;
        }
        return out;
    }
}
