package dev.loupe.tokens;

/**
 * Renders token text for people: a space becomes {@code ·}, a newline {@code ↵}, a tab {@code →},
 * a carriage return {@code ⏎}, other control characters {@code \x07}-style escapes, so that
 * " the" and "the" look different on a screen.
 */
public final class TokenDisplay {
    private TokenDisplay() {}

    /** {@code text} with whitespace and control characters made visible. */
    public static String visible(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 4);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case ' ' -> sb.append('·');
                case '\n' -> sb.append('↵');
                case '\t' -> sb.append('→');
                case '\r' -> sb.append('⏎');
                default -> {
                    if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02X", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.toString();
    }
}
