package dev.loupe.analysis.circuits;

import dev.loupe.LoupeException;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.Mlp;
import dev.loupe.tensor.Tensor;

/**
 * Virtual weights ("A Mathematical Framework for Transformer Circuits", §"Virtual Weights and the
 * Residual Stream as a Communication Channel"): a writer earlier in the model and a reader later on
 * communicate through the residual stream, so the reader sees the writer through the product of their
 * weights. In the paper's column convention that is W_in^{l2} · W_out^{l1}; in the row convention of
 * these weights (y = x·W) it is
 * <pre>
 *   V = W_out^{writer} · W_in^{reader}     [n_writer, n_reader]    entry (i, j): how much writer unit i drives reader unit j
 * </pre>
 * kept factored with inner dimension d_model ({@link FactoredMatrix}: nothing vocab × vocab is formed
 * for the embedding → unembedding pair). Raw weights: LayerNorm gains between writer and reader are not
 * included unless the model was folded first ({@code dev.loupe.analysis.transforms.LayerNormFolding}).
 * A model held in bfloat16 gives each writer and reader as a float32 copy widened exactly from its
 * bfloat16 weights ({@code Linear.weightFloat32}, {@code Attention.wQ}, …), made when asked for.
 */
public final class VirtualWeights {
    private VirtualWeights() {}

    /**
     * Something that writes into the residual stream: weight [n, d_model] (row i = what unit i writes),
     * and its stage in the forward pass (0 embeddings, 2l+1 attention of layer l, 2l+2 MLP of layer l).
     */
    public record Writer(String name, Tensor weight, int stage) {}

    /** Something that reads the residual stream: weight [d_model, n] and its stage (as for writers; unembedding last). */
    public record Reader(String name, Tensor weight, int stage) {}

    /** V = W_writer · W_reader [n_writer, n_reader], factored; the writer must come before the reader. */
    public static FactoredMatrix between(Writer writer, Reader reader) {
        if (writer.stage() >= reader.stage()) {
            throw new LoupeException(reader.name() + " does not read what " + writer.name()
                    + " writes: the writer must come before the reader in the forward pass");
        }
        return new FactoredMatrix(writer.weight(), reader.weight());
    }

    public static Writer embedding(Gpt gpt) {
        PlainResidual.require(gpt, "virtual weights");
        return new Writer("W_E", gpt.embedding.weightFloat32(), 0);
    }

    public static Writer positions(Gpt gpt) {
        PlainResidual.require(gpt, "virtual weights");
        if (gpt.config().positional() == GptConfig.Positional.NONE) throw new LoupeException("this model has no positional embedding");
        return new Writer("W_pos", gpt.positions.table, 0);
    }

    /** W_O^{l,h} [d_head, d_model]. */
    public static Writer headOutput(Gpt gpt, int layer, int head) {
        return new Writer(HeadId.name(layer, head) + ".W_O", gpt.blocks[check(gpt, layer)].attn.wO(head), 2 * layer + 1);
    }

    /** W_out of layer l's MLP [d_mlp, d_model]. */
    public static Writer mlpOutput(Gpt gpt, int layer) {
        return new Writer("L" + layer + "MLP.W_out", mlp(gpt, layer).proj.weightFloat32(), 2 * layer + 2);
    }

    /** W_out of expert e of layer l's mixture [d_expert, d_model]. */
    public static Writer expertOutput(Gpt gpt, int layer, int expert) {
        return new Writer("L" + layer + "E" + expert + ".W_out", expert(gpt, layer, expert).proj.weightFloat32(), 2 * layer + 2);
    }

    /** W_in of expert e of layer l's mixture [d_model, d_expert] (SwiGLU: [d_model, 2·d_expert]). */
    public static Reader expertInput(Gpt gpt, int layer, int expert) {
        return new Reader("L" + layer + "E" + expert + ".W_in", expert(gpt, layer, expert).fc.weightFloat32(), 2 * layer + 2);
    }

    /** W_Q^{l,h} [d_model, d_head]. */
    public static Reader query(Gpt gpt, int layer, int head) {
        return new Reader(HeadId.name(layer, head) + ".W_Q", gpt.blocks[check(gpt, layer)].attn.wQ(head), 2 * layer + 1);
    }

    /** W_K^{l,h} [d_model, d_head]. */
    public static Reader key(Gpt gpt, int layer, int head) {
        return new Reader(HeadId.name(layer, head) + ".W_K", gpt.blocks[check(gpt, layer)].attn.wK(head), 2 * layer + 1);
    }

    /** W_V^{l,h} [d_model, d_head]. */
    public static Reader value(Gpt gpt, int layer, int head) {
        return new Reader(HeadId.name(layer, head) + ".W_V", gpt.blocks[check(gpt, layer)].attn.wV(head), 2 * layer + 1);
    }

    /** W_in of layer l's MLP [d_model, d_mlp] (SwiGLU: [d_model, 2·d_mlp], gate | up). */
    public static Reader mlpInput(Gpt gpt, int layer) {
        return new Reader("L" + layer + "MLP.W_in", mlp(gpt, layer).fc.weightFloat32(), 2 * layer + 2);
    }

    /** W_U [d_model, V] (a transposed view of the stored unembedding). */
    public static Reader unembedding(Gpt gpt) {
        PlainResidual.require(gpt, "virtual weights");
        return new Reader("W_U", gpt.unembedding.weightFloat32().transpose(0, 1), Integer.MAX_VALUE);
    }

    private static Mlp mlp(Gpt gpt, int layer) {
        Mlp m = gpt.blocks[check(gpt, layer)].mlp;
        if (m == null) throw new LoupeException("layer " + layer + " has no MLP (attention-only model)");
        if (m.isMixture()) {
            throw new LoupeException("layer " + layer + "'s MLP is a mixture of " + m.mixture.experts.length
                    + " experts: it has no single W_in/W_out; read an expert's (expertInput, expertOutput)");
        }
        return m;
    }

    private static Mlp expert(Gpt gpt, int layer, int expert) {
        dev.loupe.model.MixtureOfExperts moe = gpt.mixture(check(gpt, layer));
        if (moe == null) throw new LoupeException("layer " + layer + "'s MLP is not a mixture of experts");
        if (expert < 0 || expert >= moe.experts.length) {
            throw new LoupeException("no expert " + expert + ": layer " + layer + " has experts 0–" + (moe.experts.length - 1));
        }
        return moe.experts[expert];
    }

    private static int check(Gpt gpt, int layer) {
        PlainResidual.require(gpt, "virtual weights");
        if (layer < 0 || layer >= gpt.config().nLayer()) {
            throw new LoupeException("no layer " + layer + ": the model has " + gpt.config().nLayer() + " layers (counted from 0)");
        }
        return layer;
    }
}
