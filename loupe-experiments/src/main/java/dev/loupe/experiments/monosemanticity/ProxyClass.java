package dev.loupe.experiments.monosemanticity;

/**
 * The token classes of {@link ProxyCorpus} whose features "Towards Monosemanticity" (Bricken et al.
 * 2023) would look for, each with the rule ({@link ProxyLabels}) that labels a token from the text
 * alone — a proxy, as the paper's Arabic, DNA or base64 proxies are — not from the generator.
 */
public enum ProxyClass {
    /** A character of a whitespace-delimited word made only of digits and {@code + - * =}, holding a digit. */
    ARITHMETIC("arithmetic", "in a word of digits and + - * = that holds a digit"),
    /** A character of a word of at least two letters, all upper-case A–Z. */
    UPPER_CASE("upper-case word", "in a word of ≥ 2 letters, all A–Z"),
    /** A character of a word of ≥ 16 base64 characters with an upper- and a lower-case letter and a digit, + or /. */
    BASE64("base64", "in a word of ≥ 16 base64 characters [A-Za-z0-9+/=] with both cases and a digit, + or /"),
    /** A Greek letter (the second alphabet). */
    GREEK("Greek", "a Greek letter α–ω"),
    /** A character of a run of at least three punctuation marks. */
    PUNCTUATION_RUN("punctuation run", "in a run of ≥ 3 marks of ! ? . , ; : ~");

    private final String label;
    private final String rule;

    ProxyClass(String label, String rule) {
        this.label = label;
        this.rule = rule;
    }

    /** A short human name, e.g. "upper-case word". */
    public String label() {
        return label;
    }

    /** The labelling rule in words. */
    public String rule() {
        return rule;
    }

    /** The JSON key, e.g. "upper_case". */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
