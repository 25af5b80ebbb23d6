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
 * @param norm         where LayerNorm sits: before each sublayer (GPT-2), after the residual add, or
 *                     nowhere (NONE: no {@code ln_1}/{@code ln_2}/{@code ln_f} at all, as in Nanda et
 *                     al.'s grokking model)
 * @param mlp          the MLP's non-linearity, or NONE for an attention-only model
 * @param positional   how positions enter the residual stream
 * @param attnBias     whether attention has biases ({@code c_attn.bias}, {@code c_proj.bias}); GPT-2: true
 * @param attention    the attention kind (softmax, linear, least squares) and its settings
 * @param moe          mixture-of-experts MLPs, or {@code null} for the single dense MLP of GPT-2
 * @param highway      highway-gated sublayers, or {@code null} for GPT-2's plain residual additions
 */
public record GptConfig(int vocabSize, int nPositions, int dModel, int nLayer, int nHead, int dMlp,
                        float layerNormEps, boolean tied, Norm norm, Mlp mlp, Positional positional,
                        boolean attnBias, AttentionKind attention, MoeSettings moe, HighwaySettings highway) {

    /** Where LayerNorm sits; NONE leaves the residual stream unnormalised everywhere (no ln_f either). */
    public enum Norm { PRE, POST, NONE }

    public enum Mlp { GELU, RELU, SWIGLU, NONE }

    public enum Positional { LEARNED, SINUSOIDAL, NONE }

    /**
     * The most elements one tensor can hold (a Java {@code float[]}); every size is computed in
     * {@code long} and checked against it, so a huge width is refused with its figure instead of
     * overflowing into a negative size.
     */
    public static final long MAX_TENSOR_ELEMENTS = Integer.MAX_VALUE - 8;

    /** The GPT-2 layout with attention biases (the configuration of every model before {@code attn_bias}). */
    public GptConfig(int vocabSize, int nPositions, int dModel, int nLayer, int nHead, int dMlp,
                     float layerNormEps, boolean tied, Norm norm, Mlp mlp, Positional positional) {
        this(vocabSize, nPositions, dModel, nLayer, nHead, dMlp, layerNormEps, tied, norm, mlp, positional, true,
                AttentionKind.SOFTMAX);
    }

    /** A configuration without mixture-of-experts or highway gates. */
    public GptConfig(int vocabSize, int nPositions, int dModel, int nLayer, int nHead, int dMlp,
                     float layerNormEps, boolean tied, Norm norm, Mlp mlp, Positional positional,
                     boolean attnBias, AttentionKind attention) {
        this(vocabSize, nPositions, dModel, nLayer, nHead, dMlp, layerNormEps, tied, norm, mlp, positional, attnBias,
                attention, null, null);
    }

    public GptConfig {
        require(vocabSize > 0, "vocab_size must be positive, got " + vocabSize);
        require(nPositions > 0, "n_positions must be positive, got " + nPositions);
        require(dModel > 0, "n_embd must be positive, got " + dModel);
        require(nLayer >= 0, "n_layer must not be negative, got " + nLayer);
        require(nHead > 0 && dModel % nHead == 0,
                "n_embd (" + dModel + ") must be a multiple of n_head (" + nHead + ")");
        // sizes before the sign of d_mlp: a caller's 4·d_model that overflowed int shows up here as
        // "n_embd too large", not as a negative d_mlp
        requireTensor("wte.weight", vocabSize, "vocab_size", dModel);
        if (positional == Positional.LEARNED) requireTensor("wpe.weight", nPositions, "n_positions", dModel);
        requireTensor("attn.c_attn.weight", 3L * dModel, "3·n_embd", dModel);
        require(mlp == Mlp.NONE || dMlp > 0, "d_mlp must be positive, got " + dMlp);
        if (mlp != Mlp.NONE) {
            requireTensor("mlp.c_fc.weight", mlp == Mlp.SWIGLU ? 2L * dMlp : dMlp,
                    mlp == Mlp.SWIGLU ? "2·d_mlp" : "d_mlp", dModel);
        }
        require(layerNormEps > 0, "layer_norm_epsilon must be positive, got " + layerNormEps);
        if (attention == null) attention = AttentionKind.SOFTMAX;
        if (moe != null) {
            require(mlp != Mlp.NONE, "moe needs an MLP (loupe.mlp is \"none\")");
            moe.checkLayers(nLayer);
            requireTensor("mlp.experts.{e}.c_fc.weight", mlp == Mlp.SWIGLU ? 2L * moe.dExpert() : moe.dExpert(),
                    mlp == Mlp.SWIGLU ? "2·d_expert" : "d_expert", dModel);
        }
        if (highway != null) {
            require(norm == Norm.PRE, "highway gates need pre-LN (the gate reads the sublayer's LN output), got norm "
                    + norm.name().toLowerCase(java.util.Locale.ROOT));
            require(mlp != Mlp.NONE || !highway.gates(HighwaySettings.Sublayer.MLP),
                    "highway.sublayers names \"mlp\", but the model has no MLP");
        }
    }

    /** This configuration with mixture-of-experts MLPs ({@code null}: dense). */
    public GptConfig withMoe(MoeSettings m) {
        return new GptConfig(vocabSize, nPositions, dModel, nLayer, nHead, dMlp, layerNormEps, tied, norm, mlp,
                positional, attnBias, attention, m, highway);
    }

    /** This configuration with highway-gated sublayers ({@code null}: plain residual). */
    public GptConfig withHighway(HighwaySettings h) {
        return new GptConfig(vocabSize, nPositions, dModel, nLayer, nHead, dMlp, layerNormEps, tied, norm, mlp,
                positional, attnBias, attention, moe, h);
    }

    /** Whether layer {@code l}'s MLP is a mixture of experts. */
    public boolean isMoeLayer(int l) {
        return moe != null && mlp != Mlp.NONE && moe.appliesTo(l);
    }

    /** This configuration with another attention kind. */
    public GptConfig withAttention(AttentionKind kind) {
        return new GptConfig(vocabSize, nPositions, dModel, nLayer, nHead, dMlp, layerNormEps, tied, norm, mlp,
                positional, attnBias, kind, moe, highway);
    }

    /** A configuration with attention biases (GPT-2's layout) and the given attention kind. */
    public GptConfig(int vocabSize, int nPositions, int dModel, int nLayer, int nHead, int dMlp,
                     float layerNormEps, boolean tied, Norm norm, Mlp mlp, Positional positional, AttentionKind attention) {
        this(vocabSize, nPositions, dModel, nLayer, nHead, dMlp, layerNormEps, tied, norm, mlp, positional, true, attention);
    }

    /** A configuration with softmax attention, with or without attention biases. */
    public GptConfig(int vocabSize, int nPositions, int dModel, int nLayer, int nHead, int dMlp,
                     float layerNormEps, boolean tied, Norm norm, Mlp mlp, Positional positional, boolean attnBias) {
        this(vocabSize, nPositions, dModel, nLayer, nHead, dMlp, layerNormEps, tied, norm, mlp, positional, attnBias,
                AttentionKind.SOFTMAX);
    }

    /**
     * GPT-2's defaults for the given sizes: learned positions, pre-LN, GELU MLP of 4·d_model, tied.
     *
     * @throws LoupeException when 4·d_model does not fit in an int (refused with the figure)
     */
    public static GptConfig gpt2(int vocabSize, int nPositions, int dModel, int nLayer, int nHead) {
        return new GptConfig(vocabSize, nPositions, dModel, nLayer, nHead, mlpWidth(dModel), 1e-5f, true,
                Norm.PRE, Mlp.GELU, Positional.LEARNED);
    }

    /**
     * GPT-2's MLP width 4·d_model, computed without int overflow.
     *
     * @throws LoupeException naming the figure when 4·d_model exceeds {@link #MAX_TENSOR_ELEMENTS}
     */
    public static int mlpWidth(int dModel) {
        long w = 4L * dModel;
        require(w <= MAX_TENSOR_ELEMENTS, "n_embd " + dModel + " is too large: the MLP width 4·n_embd = " + w
                + " exceeds the " + MAX_TENSOR_ELEMENTS + " elements of one tensor");
        return (int) w;
    }

    /**
     * The number of parameters (float32 values) of the tensors in {@link #expectedShapes()},
     * computed in {@code long} without building the names: what loading or creating the model
     * costs before anything is allocated (4 bytes each). Saturates at {@code Long.MAX_VALUE}.
     */
    public long parameterCount() {
        long d = dModel;
        long ln = norm == Norm.NONE ? 0 : 2 * d;                        // a LayerNorm's weight and bias
        long perLayer = ln + 3 * d * d + d * d + (attnBias ? 4 * d : 0); // ln_1, c_attn, c_proj
        if (attention.lsAlphaLearned()) perLayer += nHead;               // ls_log_alpha
        if (highway != null) {
            long gate = d * highway.gateWidth(dModel) + highway.gateWidth(dModel);  // W_T, b_T
            if (highway.gates(HighwaySettings.Sublayer.ATTN)) perLayer += gate;
            if (mlp != Mlp.NONE && highway.gates(HighwaySettings.Sublayer.MLP)) perLayer += gate;
        }
        long n = (long) vocabSize * d + ln;                             // wte, ln_f
        if (positional == Positional.LEARNED) n += (long) nPositions * d;
        if (!tied) n += (long) vocabSize * d;
        n = saturatingAdd(n, saturatingMultiply(nLayer, perLayer));
        if (mlp != Mlp.NONE) {
            long dense = mlpParameters(dMlp);
            long mixture = moe == null ? 0 : saturatingAdd(d * moe.experts(), saturatingMultiply(moe.experts(), mlpParameters(moe.dExpert())));
            long moeLayers = moe == null ? 0 : moe.layers() == null ? nLayer : moe.layers().size();
            n = saturatingAdd(n, saturatingMultiply(nLayer - moeLayers, ln + dense));      // ln_2, c_fc, c_proj
            n = saturatingAdd(n, saturatingMultiply(moeLayers, saturatingAdd(ln, mixture))); // ln_2, gate, experts
        }
        return n;
    }

    /** The weights and biases of one MLP of hidden width {@code width} (c_fc and c_proj). */
    private long mlpParameters(long width) {
        long d = dModel;
        long up = mlp == Mlp.SWIGLU ? 2L * width : width;
        return d * up + up + width * d + d;
    }

    /** The number of tensors in {@link #expectedShapes()}, without building them (long: n_layer may be absurd). */
    public long tensorCount() {
        long ln = norm == Norm.NONE ? 0 : 2;                            // weight and bias of a LayerNorm
        long perLayer = ln + 2 + (attnBias ? 2 : 0) + (attention.lsAlphaLearned() ? 1 : 0);
        if (highway != null) {
            if (highway.gates(HighwaySettings.Sublayer.ATTN)) perLayer += 2;
            if (mlp != Mlp.NONE && highway.gates(HighwaySettings.Sublayer.MLP)) perLayer += 2;
        }
        long n = 1 + ln + (positional == Positional.LEARNED ? 1 : 0) + (tied ? 0 : 1) + perLayer * nLayer;
        if (mlp != Mlp.NONE) {
            long moeLayers = moe == null ? 0 : moe.layers() == null ? nLayer : moe.layers().size();
            long experts = moe == null ? 0 : moe.experts();
            n += (ln + 4) * (nLayer - moeLayers) + (ln + 1 + 4 * experts) * moeLayers;  // ln_2 + (c_fc, c_proj | gate, experts)
        }
        return n;
    }

    /** This configuration with LayerNorm at {@code n} (NONE: no LayerNorm tensors at all). */
    public GptConfig withNorm(Norm n) {
        return new GptConfig(vocabSize, nPositions, dModel, nLayer, nHead, dMlp, layerNormEps, tied, n, mlp, positional, attnBias, attention, moe, highway);
    }

    /** This configuration with or without attention biases. */
    public GptConfig withAttnBias(boolean bias) {
        return new GptConfig(vocabSize, nPositions, dModel, nLayer, nHead, dMlp, layerNormEps, tied, norm, mlp, positional, bias, attention, moe, highway);
    }

    /** Whether the model has LayerNorms (every norm but NONE). */
    public boolean hasLayerNorm() {
        return norm != Norm.NONE;
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
     * {@code ln_2} or {@code mlp} tensors; without learned positions there is no {@code wpe}; with
     * norm NONE there is no {@code ln_*}; without attention biases no {@code attn.c_attn.bias} and
     * {@code attn.c_proj.bias}. Least-squares attention with a learned α adds
     * {@code h.{i}.attn.ls_log_alpha} [n_head].
     */
    public Map<String, int[]> expectedShapes() {
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put("wte.weight", new int[] {vocabSize, dModel});
        if (positional == Positional.LEARNED) m.put("wpe.weight", new int[] {nPositions, dModel});
        for (int i = 0; i < nLayer; i++) {
            String p = "h." + i + ".";
            if (hasLayerNorm()) {
                m.put(p + "ln_1.weight", new int[] {dModel});
                m.put(p + "ln_1.bias", new int[] {dModel});
            }
            m.put(p + "attn.c_attn.weight", new int[] {dModel, 3 * dModel});
            if (attnBias) m.put(p + "attn.c_attn.bias", new int[] {3 * dModel});
            m.put(p + "attn.c_proj.weight", new int[] {dModel, dModel});
            if (attnBias) m.put(p + "attn.c_proj.bias", new int[] {dModel});
            if (attention.lsAlphaLearned()) {
                m.put(p + "attn.ls_log_alpha", new int[] {nHead});
            }
            if (highway != null && highway.gates(HighwaySettings.Sublayer.ATTN)) putGate(m, p + "attn_gate");
            if (mlp != Mlp.NONE) {
                if (hasLayerNorm()) {
                    m.put(p + "ln_2.weight", new int[] {dModel});
                    m.put(p + "ln_2.bias", new int[] {dModel});
                }
                if (isMoeLayer(i)) {
                    m.put(p + "mlp.gate.weight", new int[] {dModel, moe.experts()});
                    for (int e = 0; e < moe.experts(); e++) putMlp(m, p + "mlp.experts." + e + ".", moe.dExpert());
                } else {
                    putMlp(m, p + "mlp.", dMlp);
                }
                if (highway != null && highway.gates(HighwaySettings.Sublayer.MLP)) putGate(m, p + "mlp_gate");
            }
        }
        if (hasLayerNorm()) {
            m.put("ln_f.weight", new int[] {dModel});
            m.put("ln_f.bias", new int[] {dModel});
        }
        if (!tied) m.put("lm_head.weight", new int[] {vocabSize, dModel});
        return m;
    }

    /** c_fc and c_proj of one MLP of hidden width {@code width} under {@code prefix} (e.g. "h.0.mlp."). */
    private void putMlp(Map<String, int[]> m, String prefix, int width) {
        int up = mlp == Mlp.SWIGLU ? 2 * width : width;
        m.put(prefix + "c_fc.weight", new int[] {dModel, up});
        m.put(prefix + "c_fc.bias", new int[] {up});
        m.put(prefix + "c_proj.weight", new int[] {width, dModel});
        m.put(prefix + "c_proj.bias", new int[] {dModel});
    }

    /** A highway gate's W_T [d_model, d_model | 1] and b_T. */
    private void putGate(Map<String, int[]> m, String prefix) {
        int w = highway.gateWidth(dModel);
        m.put(prefix + ".weight", new int[] {dModel, w});
        m.put(prefix + ".bias", new int[] {w});
    }

    private static void requireTensor(String name, long rows, String rowName, long cols) {
        long n = saturatingMultiply(rows, cols);
        require(n <= MAX_TENSOR_ELEMENTS, rowName + " × n_embd = " + rows + " × " + cols + " = " + n
                + " elements in " + name + ", more than one tensor holds (" + MAX_TENSOR_ELEMENTS + ")");
    }

    private static long saturatingMultiply(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return (hi == 0 && lo >= 0) || (hi == -1 && lo < 0) ? lo : Long.MAX_VALUE;
    }

    private static long saturatingAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new LoupeException("invalid model configuration: " + message);
    }
}
