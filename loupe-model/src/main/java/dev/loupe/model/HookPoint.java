package dev.loupe.model;

/**
 * One named hook point: its TransformerLens name, its shape for a given batch and sequence length
 * (batch outer), and what the activation is.
 */
public record HookPoint(String name, int[] shape, String meaning) {
    /** Shape as {@code [B, T, d]} with the numbers filled in; a size that varies per pass ({@link HookPoints#ROUTED}) is n_e. */
    public String shapeText() {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) s.append(", ");
            s.append(shape[i] == HookPoints.ROUTED ? "n_e" : String.valueOf(shape[i]));
        }
        return s.append(']').toString();
    }
}
