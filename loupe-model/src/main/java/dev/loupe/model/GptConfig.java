package dev.loupe.model;

import dev.loupe.LoupeException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shape and variant of a GPT-style decoder (SPEC M1), as stored in a model directory's
 * {@code config.json} (GPT-2 keys, Loupe-only settings under {@code "loupe"}).
 *
 * @param vocabSize    V, number of token ids
 * @param nPositions   the longest context (T_max); also the size of {@code wpe} for learned positions
 * @param dModel       d_model, width of the residual stream ({@code n_embd})
 * @param nLayer       number of blocks
 * @param nHead        heads per attention layer; d_head = d_model / n_head
 * @param dMlp         hidden width of the MLP (4·d_model in GPT-2); ignored when {@code mlp == NONE}
 * @param layerNormEps ε inside LayerNorm
 * @param tied         whether the unembedding W_U is W_Eᵀ ({@code tie_word_embeddings})
 * @param norm         where LayerNorm sits: before each sublayer (GPT-2) or after the residual add
 * @param mlp          the MLP's non-linearity, or NONE for an attention-only model
 * @param positional   how positions enter the residual stream
 * @param attention    the attention kind (softmax, linear, least squares) and its settings
 */
public record GptConfig(int vocabSize, int nPositions, int dModel, int nLayer, int nHead, int dMlp,
                        float layerNormEps, boolean tied, Norm norm, Mlp mlp, Positional positional,
                        AttentionKind attention) {

    public enum Norm { PRE, POST }

    public enum Mlp { GELU, RELU, SWIGLU, NONE }

    public enum Positional { LEARNED, SINUSOIDAL, NONE }

    public GptConfig {
        require(vocabSize > 0, "vocab_size must be positive, got " + vocabSize);
        require(nPositions > 0, "n_positions must be positive, got " + nPositions);
        require(dModel > 0, "n_embd must be positive, got " + dModel);
        require(nLayer >= 0, "n_layer must not be negative, got " + nLayer);
        require(nHead > 0 && dModel % nHead == 0,
                "n_embd (" + dModel + ") must be a multiple of n_head (" + nHead + ")");
        require(mlp == Mlp.NONE || dMlp > 0, "d_mlp must be positive, got " + dMlp);
        require(layerNormEps > 0, "layer_norm_epsilon must be positive, got " + layerNormEps);
        if (attention == null) attention = AttentionKind.SOFTMAX;
    }

    /** A configuration with GPT-2's softmax attention. */
    public GptConfig(int vocabSize, int nPositions, int dModel, int nLayer, int nHead, int dMlp,
                     float layerNormEps, boolean tied, Norm norm, Mlp mlp, Positional positional) {
        this(vocabSize, nPositions, dModel, nLayer, nHead, dMlp, layerNormEps, tied, norm, mlp, positional,
                AttentionKind.SOFTMAX);
    }

    /** This configuration with another attention kind. */
    public GptConfig withAttention(AttentionKind kind) {
        return new GptConfig(vocabSize, nPositions, dModel, nLayer, nHead, dMlp, layerNormEps, tied, norm, mlp,
                positional, kind);
    }

    /** GPT-2's defaults for the given sizes: learned positions, pre-LN, GELU MLP of 4·d_model, tied. */
    public static GptConfig gpt2(int vocabSize, int nPositions, int dModel, int nLayer, int nHead) {
        return new GptConfig(vocabSize, nPositions, dModel, nLayer, nHead, 4 * dModel, 1e-5f, true,
                Norm.PRE, Mlp.GELU, Positional.LEARNED);
    }

    /** d_head = d_model / n_head. */
    public int dHead() {
        return dModel / nHead;
    }

    /**
     * Every tensor the model directory holds for this configuration, in GPT-2's names and Conv1D
     * orientation (weights stored [in, out], so that y = x·W + b with row vectors x).
     *
     * <p>SwiGLU (not a GPT-2 feature) keeps GPT-2's names: {@code mlp.c_fc.weight} is
     * [d_model, 2·d_mlp] with the gate's columns first, then the up-projection's;
     * {@code mlp.c_proj.weight} is [d_mlp, d_model]. An attention-only model has no
     * {@code ln_2} or {@code mlp} tensors; without learned positions there is no {@code wpe}.
     * Least-squares attention with a learned α adds {@code h.{i}.attn.ls_log_alpha} [n_head].
     */
    public Map<String, int[]> expectedShapes() {
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put("wte.weight", new int[] {vocabSize, dModel});
        if (positional == Positional.LEARNED) m.put("wpe.weight", new int[] {nPositions, dModel});
        for (int i = 0; i < nLayer; i++) {
            String p = "h." + i + ".";
            m.put(p + "ln_1.weight", new int[] {dModel});
            m.put(p + "ln_1.bias", new int[] {dModel});
            m.put(p + "attn.c_attn.weight", new int[] {dModel, 3 * dModel});
            m.put(p + "attn.c_attn.bias", new int[] {3 * dModel});
            m.put(p + "attn.c_proj.weight", new int[] {dModel, dModel});
            m.put(p + "attn.c_proj.bias", new int[] {dModel});
            if (attention.lsAlphaLearned()) {
                m.put(p + "attn.ls_log_alpha", new int[] {nHead});
            }
            if (mlp != Mlp.NONE) {
                int up = mlp == Mlp.SWIGLU ? 2 * dMlp : dMlp;
                m.put(p + "ln_2.weight", new int[] {dModel});
                m.put(p + "ln_2.bias", new int[] {dModel});
                m.put(p + "mlp.c_fc.weight", new int[] {dModel, up});
                m.put(p + "mlp.c_fc.bias", new int[] {up});
                m.put(p + "mlp.c_proj.weight", new int[] {dMlp, dModel});
                m.put(p + "mlp.c_proj.bias", new int[] {dModel});
            }
        }
        m.put("ln_f.weight", new int[] {dModel});
        m.put("ln_f.bias", new int[] {dModel});
        if (!tied) m.put("lm_head.weight", new int[] {vocabSize, dModel});
        return m;
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new LoupeException("invalid model configuration: " + message);
    }
}
