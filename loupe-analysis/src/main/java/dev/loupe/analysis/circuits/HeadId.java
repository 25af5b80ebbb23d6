package dev.loupe.analysis.circuits;

/**
 * An attention head: layer l (0-based) and head h within it, written "L{l}H{h}" as in TransformerLens and
 * the literature. {@link #name(int, int)} is the one formatter every Loupe output uses for a head.
 */
public record HeadId(int layer, int head) implements Comparable<HeadId> {
    @Override
    public int compareTo(HeadId o) {
        return layer != o.layer ? Integer.compare(layer, o.layer) : Integer.compare(head, o.head);
    }

    /** "L{layer}H{head}", e.g. "L1H3": TransformerLens' notation, used for heads in every output. */
    public static String name(int layer, int head) {
        return "L" + layer + "H" + head;
    }

    @Override
    public String toString() {
        return name(layer, head);
    }
}
