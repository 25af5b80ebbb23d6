package dev.loupe.sae;

import dev.loupe.LoupeException;

/**
 * The activation function of a sparse autoencoder, named as in SAELens' {@code cfg.json}
 * {@code "architecture"}.
 *
 * <ul>
 *   <li>{@link #STANDARD}: f = ReLU(pre), trained with an L1 penalty weighted by decoder row norms;</li>
 *   <li>{@link #TOPK}: keep the k largest pre-activations of each token, ReLU'd, zero the rest;</li>
 *   <li>{@link #JUMPRELU}: f = ReLU(pre)·[pre &gt; threshold] (inference only: Gemma Scope style files).</li>
 * </ul>
 * with pre = (x − b_dec·[apply_b_dec_to_input])·W_enc + b_enc.
 */
public enum Architecture {
    STANDARD("standard"), TOPK("topk"), JUMPRELU("jumprelu");

    private final String saeLensName;

    Architecture(String saeLensName) {
        this.saeLensName = saeLensName;
    }

    /** The name in SAELens' {@code cfg.json}. */
    public String saeLensName() {
        return saeLensName;
    }

    /** The architecture called {@code name} in a cfg.json or on the command line. */
    public static Architecture fromName(String name) {
        for (Architecture a : values()) if (a.saeLensName.equals(name)) return a;
        throw new LoupeException("unknown SAE architecture '" + name + "' (expected standard, topk or jumprelu)");
    }

    @Override
    public String toString() {
        return saeLensName;
    }
}
