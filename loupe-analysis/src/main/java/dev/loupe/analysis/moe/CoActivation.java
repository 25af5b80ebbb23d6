package dev.loupe.analysis.moe;

/**
 * Expert co-activation across two mixture-of-experts layers: joint counts J [E_a][E_b] with J[i][j] the
 * number of tokens that layer a sends to expert i and layer b to expert j (with top-k routing a token
 * adds k_a·k_b pairs). With binary routing matrices A [T, E_a] and B [T, E_b] (1 where kept) this is
 * AᵀB. Do experts of consecutive layers form pipelines (a concentrated J, high mutual information)
 * or mix freely?
 */
public final class CoActivation {
    private final int from, to;
    private final long[][] joint;

    /** Empty counts between layer {@code from} (E_a experts) and layer {@code to} (E_b experts). */
    public CoActivation(int from, int expertsFrom, int to, int expertsTo) {
        this.from = from;
        this.to = to;
        joint = new long[expertsFrom][expertsTo];
    }

    /** Adds the routing of the same tokens at the two layers. */
    public void add(LayerRouting a, LayerRouting b) {
        if (a.tokens() != b.tokens()) throw new IllegalArgumentException("layers routed " + a.tokens() + " and " + b.tokens() + " tokens");
        for (int t = 0; t < a.tokens(); t++) {
            for (int i = 0; i < a.topK(); i++) for (int j = 0; j < b.topK(); j++) joint[a.expert(t, i)][b.expert(t, j)]++;
        }
    }

    public int from() { return from; }

    public int to() { return to; }

    /** J [E_a][E_b] (a copy). */
    public long[][] joint() {
        long[][] c = new long[joint.length][];
        for (int i = 0; i < joint.length; i++) c[i] = joint[i].clone();
        return c;
    }

    /** P(expert j at layer b | expert i at layer a) [E_a][E_b]: rows of J normalised (0 rows stay 0). */
    public double[][] conditional() {
        return MutualInformation.rowShares(joint);
    }

    /** Mutual information of the two layers' expert choices, bits. */
    public double mutualInformationBits() {
        return MutualInformation.bits(joint);
    }
}
