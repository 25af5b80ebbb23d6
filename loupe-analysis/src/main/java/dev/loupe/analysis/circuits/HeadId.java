package dev.loupe.analysis.circuits;

/** An attention head: layer l (0-based) and head h within it, written "L{l}H{h}" as in the literature. */
public record HeadId(int layer, int head) implements Comparable<HeadId> {
    @Override
    public int compareTo(HeadId o) {
        return layer != o.layer ? Integer.compare(layer, o.layer) : Integer.compare(head, o.head);
    }

    @Override
    public String toString() {
        return "L" + layer + "H" + head;
    }
}
