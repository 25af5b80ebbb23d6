package dev.loupe.analysis.moe;

/**
 * Which experts tokens of each label go to, e.g. each token's source in a mixed corpus: joint counts
 * J [labels][E] of (token, choice) slots — J[s][e] = slots of tokens labelled s routed to expert e —
 * and the mutual information between label and expert. Counting only each token's first choice (the
 * router's favourite) makes J a joint distribution of (label, expert) over tokens for any k; counting
 * every choice spreads each token over its k experts and caps the information lower. Specialisation by source shows as a J with one
 * dominant expert per row and an I(source; expert) near H(source); routing blind to the source as
 * I ≈ 0.
 */
public final class LabelledRouting {
    private final int layer;
    private final long[][] joint;
    private final boolean firstChoice;

    /**
     * Empty counts for layer {@code layer}, {@code labels} labels and {@code experts} experts, of each
     * token's first choice only ({@code firstChoice}) or of all its k choices.
     */
    public LabelledRouting(int layer, int labels, int experts, boolean firstChoice) {
        this.layer = layer;
        this.firstChoice = firstChoice;
        joint = new long[labels][experts];
    }

    /** Adds one sequence's routing; {@code labels} [T] are its tokens' labels. */
    public void add(LayerRouting r, byte[] labels) {
        if (labels.length != r.tokens()) throw new IllegalArgumentException(labels.length + " labels for " + r.tokens() + " tokens");
        int k = firstChoice ? Math.min(1, r.topK()) : r.topK();
        for (int t = 0; t < r.tokens(); t++) for (int j = 0; j < k; j++) joint[labels[t]][r.expert(t, j)]++;
    }

    public int layer() { return layer; }

    /** J [labels][E] (a copy). */
    public long[][] joint() {
        long[][] c = new long[joint.length][];
        for (int i = 0; i < joint.length; i++) c[i] = joint[i].clone();
        return c;
    }

    /** Per label, the share of its slots on each expert [labels][E] (rows of {@link #joint()} normalised). */
    public double[][] shares() {
        return MutualInformation.rowShares(joint);
    }

    /** I(label; expert) in bits. */
    public double mutualInformationBits() {
        return MutualInformation.bits(joint);
    }

    /** H(label) in bits: the largest {@link #mutualInformationBits()} can be. */
    public double labelEntropyBits() {
        return MutualInformation.rowEntropyBits(joint);
    }

    /** Per label, the share of its slots that go to its most used expert [labels] (0 for a label never seen). */
    public double[] purity() {
        double[] p = new double[joint.length];
        for (int s = 0; s < joint.length; s++) {
            long sum = 0, max = 0;
            for (long c : joint[s]) { sum += c; max = Math.max(max, c); }
            p[s] = sum == 0 ? 0 : (double) max / sum;
        }
        return p;
    }
}
