package dev.loupe.model;

/**
 * The mixture-of-experts terms of one forward pass, summed over the MoE layers (all zero for a
 * dense model). The training objective is LM loss + aux + z; the loss a trainer reports stays the LM
 * loss, with these beside it.
 *
 * @param aux     the load-balancing losses α·E·Σ_e f_e·P_e, summed over layers
 * @param z       the router z-losses β·mean lse(g)², summed over layers
 * @param dropped (token, choice) slots dropped over capacity
 * @param slots   all (token, choice) slots: N·k per MoE layer
 */
public record RouterLosses(double aux, double z, long dropped, long slots) {
    /** No mixture: nothing to report. */
    public static final RouterLosses NONE = new RouterLosses(0, 0, 0, 0);

    /** Whether the pass had MoE layers. */
    public boolean present() {
        return slots > 0;
    }
}
