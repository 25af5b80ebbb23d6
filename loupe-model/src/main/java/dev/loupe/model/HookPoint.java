package dev.loupe.model;

/**
 * One named hook point: its TransformerLens name, its shape for a given batch and sequence length
 * (batch outer), and what the activation is.
 */
public record HookPoint(String name, int[] shape, String meaning) {
    /** Shape as {@code [B, T, d]} with the numbers filled in. */
    public String shapeText() {
        return java.util.Arrays.toString(shape);
    }
}
