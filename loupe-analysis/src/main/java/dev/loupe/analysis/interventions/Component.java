package dev.loupe.analysis.interventions;

import dev.loupe.LoupeException;
import dev.loupe.model.ActivationCache;
import dev.loupe.model.GptConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model component named in TransformerLens's notation: a head {@code L1H3} (layer 1, head 3), an
 * MLP neuron {@code L0N17}, a whole layer {@code L1} (all its heads and its MLP), or an expert of a
 * mixture-of-experts layer {@code L0E3} (Loupe's extension; ablated by {@link ExpertIntervention#zero}).
 *
 * @param layer the block
 * @param index the head, neuron or expert; −1 for a whole layer
 */
public record Component(Kind kind, int layer, int index) {

    /** What a component is. */
    public enum Kind { HEAD, NEURON, LAYER, EXPERT }

    private static final Pattern NAME = Pattern.compile("L(\\d+)(?:([HNE])(\\d+))?");

    /** Parses "L1H3", "L0N17" or "L1"; anything else is a {@link LoupeException} saying what is expected. */
    public static Component parse(String s) {
        Matcher m = NAME.matcher(s.strip());
        if (!m.matches()) {
            throw new LoupeException("'" + s + "' is not a component: write a head as L1H3, a neuron as L0N17, a layer as L1, an expert as L0E3");
        }
        int layer = Integer.parseInt(m.group(1));
        if (m.group(2) == null) return new Component(Kind.LAYER, layer, -1);
        Kind kind = switch (m.group(2)) {
            case "H" -> Kind.HEAD;
            case "N" -> Kind.NEURON;
            default -> Kind.EXPERT;
        };
        return new Component(kind, layer, Integer.parseInt(m.group(3)));
    }

    /** A head, {@code L{layer}H{head}}. */
    public static Component head(int layer, int head) {
        return new Component(Kind.HEAD, layer, head);
    }

    /** Refuses a component the model does not have. */
    public Component checkIn(GptConfig c) {
        if (layer >= c.nLayer()) throw new LoupeException(this + ": the model has layers 0–" + (c.nLayer() - 1));
        if (kind == Kind.HEAD && index >= c.nHead()) throw new LoupeException(this + ": the model has heads 0–" + (c.nHead() - 1));
        if (kind == Kind.NEURON) {
            if (c.mlp() == GptConfig.Mlp.NONE) throw new LoupeException(this + ": the model is attention-only (no MLP neurons)");
            if (c.isMoeLayer(layer)) {
                throw new LoupeException(this + ": layer " + layer + "'s MLP is a mixture of experts; name an expert (L" + layer + "E0) instead");
            }
            if (index >= c.dMlp()) throw new LoupeException(this + ": the MLP has neurons 0–" + (c.dMlp() - 1));
        }
        if (kind == Kind.EXPERT) ExpertIntervention.check(c, layer, index);
        return this;
    }

    /** The hook names a mean-ablation of this component needs in its reference cache. */
    public List<String> hooks(GptConfig c) {
        return switch (kind) {
            case HEAD -> List.of(Ablation.headHook(layer));
            case NEURON -> List.of(Ablation.neuronHook(layer));
            case EXPERT -> throw new LoupeException(this + ": an expert has no mean to ablate to (its output exists only where it is routed); "
                    + "use zero-ablation");
            case LAYER -> c.mlp() == GptConfig.Mlp.NONE ? List.of(Ablation.headHook(layer))
                    : List.of(Ablation.headHook(layer), Ablation.mlpHook(layer));
        };
    }

    /**
     * The interventions that knock this component out: zero-ablation when {@code reference} is null,
     * else mean-ablation over the reference run (which must hold {@link #hooks}). A layer is all its
     * heads' outputs and its MLP's output.
     */
    public List<Intervention> ablation(GptConfig c, ActivationCache reference) {
        boolean zero = reference == null;
        List<Intervention> out = new ArrayList<>();
        switch (kind) {
            case HEAD -> out.add(zero ? Ablation.zeroHead(layer, index) : Ablation.meanHead(layer, index, reference));
            case NEURON -> out.add(zero ? Ablation.zeroNeuron(layer, index) : Ablation.meanNeuron(layer, index, reference));
            case EXPERT -> {
                if (!zero) hooks(c);                                     // refuses mean-ablation
                out.addAll(ExpertIntervention.zero(c, layer, index));
            }
            case LAYER -> {
                for (int h = 0; h < c.nHead(); h++) out.add(zero ? Ablation.zeroHead(layer, h) : Ablation.meanHead(layer, h, reference));
                if (c.mlp() != GptConfig.Mlp.NONE) out.add(zero ? Ablation.zeroMlp(layer) : Ablation.meanMlp(layer, reference));
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case HEAD -> dev.loupe.analysis.circuits.HeadId.name(layer, index);
            case NEURON -> "L" + layer + "N" + index;
            case LAYER -> "L" + layer;
            case EXPERT -> "L" + layer + "E" + index;
        };
    }
}
