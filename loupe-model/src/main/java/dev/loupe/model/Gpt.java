package dev.loupe.model;

import dev.loupe.LoupeException;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.bf16.Bf16Matrix;
import dev.loupe.tensor.ops.Ops;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A GPT-style decoder-only transformer (Radford et al., 2019) with the variants of SPEC M1:
 * learned, sinusoidal or no positions; pre-, post- or no LayerNorm; GELU, ReLU, SwiGLU or no MLP;
 * tied or untied unembedding; attention with or without biases.
 *
 * <pre>
 *   x_0     = W_E[tokens] + P[positions]             // Embedding, PositionalEncoding  [B·T, d_model]
 *   x_{l+1} = Block_l(x_l)                            // ResidualStream: each block adds into it
 *   logits  = LN_f(x_L) · W_U                         // Unembedding                    [B·T, V]
 *   loss    = CrossEntropy(logits, targets)           // mean over B·T positions
 * </pre>
 *
 * <p><b>Why explicit forward and backward per op rather than an autograd graph.</b> Every op
 * ({@link Embedding}, {@link PositionalEncoding}, {@link LayerNorm}, {@link Attention}, {@link Mlp},
 * {@link Linear}, {@link Unembedding}, {@link CrossEntropy}) has its forward and its hand-derived
 * backward side by side, with the shapes written out, as in llm.c's {@code train_gpt2.c}. A reader
 * sees the whole computation — including what backprop does — in a few hundred lines, with no tape,
 * no dynamic graph and no hidden allocation; the activations needed by backward live in one
 * {@link Activations} buffer per (batch, sequence length), reused across steps. Each backward is
 * checked against float64 finite differences in the tests, op by op and for whole models of every
 * variant.
 *
 * <p>Parameters are held exactly as a model directory stores them: GPT-2 names, Conv1D orientation
 * (see {@link GptConfig#expectedShapes()}); the op objects hold views of those tensors, so an
 * optimiser updating {@link #parameters()} in place updates the model.
 *
 * <p>Not thread-safe: one forward or backward at a time (the kernels themselves use all cores).
 */
public final class Gpt implements TrainableModel {
    private final GptConfig config;
    private final Map<String, Tensor> params;
    private final Map<String, Tensor> grads;
    /** Every gradient buffer the ops accumulate into: {@link #grads}, or for a frozen model only the vectors'. */
    private final Map<String, Tensor> buffers;

    public final Embedding embedding;
    public final PositionalEncoding positions;
    public final Block[] blocks;
    /** ln_f, or null when the model has no LayerNorm (norm NONE): W_U then reads the stream itself. */
    public final LayerNorm lnFinal;
    public final Unembedding unembedding;

    private Activations workspace;
    private final Hooks hooks;
    /** The weight matrices held in bfloat16 ({@link WeightFormat#BF16}); empty for a float32 model. */
    private final Map<String, Bf16Matrix> matricesBf16;

    private Gpt(GptConfig c, Map<String, Tensor> parameters, boolean frozen) {
        this(c, parameters, Map.of(), frozen);
    }

    private Gpt(GptConfig c, Map<String, Tensor> parameters, Map<String, Bf16Matrix> bf16, boolean frozen) {
        this.config = c;
        this.params = Collections.unmodifiableMap(parameters);
        this.matricesBf16 = Collections.unmodifiableMap(bf16);
        Map<String, Tensor> g = new LinkedHashMap<>();
        parameters.forEach((k, v) -> {
            if (!frozen || v.rank() == 1) g.put(k, Tensor.zeros(v.shape()));
        });
        this.buffers = Collections.unmodifiableMap(g);
        this.grads = frozen ? Map.of() : buffers;

        embedding = bf16.containsKey("wte.weight") ? new Embedding(bf16.get("wte.weight"))
                : new Embedding(p("wte.weight"), g.get("wte.weight"));   // gradients null when frozen
        positions = switch (c.positional()) {
            case LEARNED -> PositionalEncoding.learned(p("wpe.weight"), g.get("wpe.weight"));
            case SINUSOIDAL -> PositionalEncoding.sinusoidal(c.nPositions(), c.dModel());
            case NONE -> PositionalEncoding.none(c.dModel());
        };
        blocks = new Block[c.nLayer()];
        for (int i = 0; i < c.nLayer(); i++) {
            String h = "h." + i + ".";
            LayerNorm ln1 = layerNorm(h + "ln_1");
            Attention attn = new Attention(linear(h + "attn.c_attn"), linear(h + "attn.c_proj"), c.nHead(), c.attention(),
                    p(h + "attn.ls_log_alpha"), g.get(h + "attn.ls_log_alpha"));
            LayerNorm ln2 = c.mlp() == GptConfig.Mlp.NONE ? null : layerNorm(h + "ln_2");
            Mlp mlp = c.mlp() == GptConfig.Mlp.NONE ? null
                    : c.isMoeLayer(i) ? new Mlp(mixture(h + "mlp."))
                    : new Mlp(c.mlp(), linear(h + "mlp.c_fc"), linear(h + "mlp.c_proj"));
            blocks[i] = new Block(c.norm(), ln1, attn, ln2, mlp, gate(h + "attn_gate", HighwaySettings.Sublayer.ATTN),
                    mlp == null ? null : gate(h + "mlp_gate", HighwaySettings.Sublayer.MLP));
        }
        lnFinal = layerNorm("ln_f");
        String wu = c.tied() ? "wte.weight" : "lm_head.weight";
        unembedding = bf16.containsKey(wu) ? new Unembedding(bf16.get(wu)) : new Unembedding(p(wu), g.get(wu));
        hooks = new Hooks(c);
    }

    private Tensor p(String name) {
        return params.get(name);
    }

    private Linear linear(String prefix) {
        Bf16Matrix half = matricesBf16.get(prefix + ".weight");
        if (half != null) return new Linear(half, p(prefix + ".bias"), buffers.get(prefix + ".bias"));
        return new Linear(p(prefix + ".weight"), p(prefix + ".bias"), buffers.get(prefix + ".weight"), buffers.get(prefix + ".bias"));
    }

    /** The highway gate under {@code prefix} (e.g. "h.0.attn_gate"), or null when {@code s} is not gated. */
    private HighwayGate gate(String prefix, HighwaySettings.Sublayer s) {
        HighwaySettings hw = config.highway();
        return hw == null || !hw.gates(s) ? null : new HighwayGate(linear(prefix), hw.mode());
    }

    /** The mixture of experts under {@code prefix} ("h.3.mlp."): router {@code gate} and experts {@code experts.{e}}. */
    private MixtureOfExperts mixture(String prefix) {
        MoeSettings m = config.moe();
        Mlp[] experts = new Mlp[m.experts()];
        for (int e = 0; e < experts.length; e++) {
            String x = prefix + "experts." + e + ".";
            experts[e] = new Mlp(config.mlp(), linear(x + "c_fc"), linear(x + "c_proj"));
        }
        return new MixtureOfExperts(config.mlp(), m, linear(prefix + "gate"), experts);
    }

    /** The LayerNorm under {@code prefix}, or null when the model has none (norm NONE). */
    private LayerNorm layerNorm(String prefix) {
        if (!config.hasLayerNorm()) return null;
        return new LayerNorm(p(prefix + ".weight"), p(prefix + ".bias"), buffers.get(prefix + ".weight"),
                buffers.get(prefix + ".bias"), config.layerNormEps());
    }

    // ---------------------------------------------------------------- factories

    /**
     * A freshly initialised model, GPT-2's scheme: weights ~ N(0, 0.02), the two residual output
     * projections ({@code attn.c_proj}, {@code mlp.c_proj}) ~ N(0, 0.02/√(2·n_layer)) so the stream's
     * variance does not grow with depth, biases 0, LayerNorm γ = 1 and β = 0; a highway gate's W_T
     * ~ N(0, 0.02) like the other weights and b_T = {@code gate_bias_init}. Same seed, same model.
     */
    public static Gpt create(GptConfig c, long seed) {
        dev.loupe.model.io.HeapBudget.require("creating the model", c); // an absurd n_layer fails now, not after minutes
        SplittableRandom seeds = new SplittableRandom(seed);
        Map<String, Tensor> m = new LinkedHashMap<>();
        float residualStd = (float) (0.02 / Math.sqrt(2.0 * Math.max(1, c.nLayer())));
        for (Map.Entry<String, int[]> e : c.expectedShapes().entrySet()) {
            String name = e.getKey();
            int[] shape = e.getValue();
            long s = seeds.nextLong();
            Tensor t;
            if (name.endsWith("_gate.bias")) t = Tensor.zeros(shape).fill(c.highway().gateBiasInit());
            else if (name.endsWith(".bias")) t = Tensor.zeros(shape);
            else if (name.endsWith("ls_log_alpha")) t = Tensor.zeros(shape).fill((float) Math.log(c.attention().lsAlpha()));
            else if (name.contains("ln_")) t = Tensor.zeros(shape).fill(1f);
            else if (name.endsWith("c_proj.weight")) t = Tensor.randn(s, residualStd, shape);
            else t = Tensor.randn(s, 0.02f, shape);
            m.put(name, t);
        }
        return new Gpt(c, m, false);
    }

    /**
     * A model over existing weights (as a model directory reader yields them), GPT-2 names with an
     * optional {@code transformer.} prefix. The tensors are used in place (copied only if they are
     * non-contiguous views). Hugging Face's causal-mask buffers ({@code attn.bias},
     * {@code attn.masked_bias}) and a redundant {@code lm_head.weight} of a tied model are ignored;
     * a missing tensor, a wrong shape or any other name is a {@link LoupeException}.
     */
    public static Gpt fromWeights(GptConfig c, Map<String, Tensor> weights) {
        return fromWeights(c, weights, false);
    }

    /**
     * As {@link #fromWeights(GptConfig, Map)}, but frozen: the weights are not trained, so no
     * weight matrix or embedding gets a gradient buffer ({@link #gradients()} is empty) and backward
     * only carries d(loss)/d(activations) through the model — what adapters attached to its
     * {@link Linear} layers (LoRA) need. The vectors (biases, LayerNorm γ and β; about 0.1% of
     * GPT-2's parameters) keep internal buffers so their kernels run unchanged.
     */
    public static Gpt frozen(GptConfig c, Map<String, Tensor> weights) {
        return fromWeights(c, weights, true);
    }

    /**
     * Whether {@link WeightFormat#BF16} holds the tensor {@code name} of this configuration in bfloat16:
     * every weight matrix (c_attn, c_proj, c_fc, W_E, lm_head) but the positions {@code wpe} (read by
     * row, a small share). Vectors (biases, LayerNorm γ and β) always stay float32.
     */
    public static boolean heldInBf16(GptConfig c, String name) {
        int[] shape = c.expectedShapes().get(name);
        return shape != null && shape.length == 2 && !name.equals("wpe.weight");
    }

    /**
     * An inference-only model whose weight matrices are bfloat16 ({@link WeightFormat#BF16}):
     * {@code matrices} holds exactly the tensors {@link #heldInBf16} names, {@code vectors} every other
     * tensor of the configuration, in float32. Forward passes, hooks, caches and decoding work as for a
     * float32 model (activations float32, products accumulated in float32); training does not. The
     * float32 fields ({@code Linear.weight}, …) are null: analyses read the weights through
     * {@link Attention#wQ} and friends, {@link Linear#weightFloat32}, {@link Embedding#weightFloat32}
     * and {@link Unembedding#weightFloat32}/{@link Unembedding#rowFloat32}, which widen (exactly)
     * only the block asked for into a new tensor — they then describe this bfloat16 model.
     */
    public static Gpt withBf16Matrices(GptConfig c, Map<String, Tensor> vectors, Map<String, Bf16Matrix> matrices) {
        Map<String, Tensor> floats = new LinkedHashMap<>();
        Map<String, Bf16Matrix> halves = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : c.expectedShapes().entrySet()) {
            String name = e.getKey();
            int[] shape = e.getValue();
            if (heldInBf16(c, name)) {
                Bf16Matrix m = matrices.get(name);
                if (m == null) throw new LoupeException("weights: bfloat16 matrix '" + name + "' is missing");
                if (m.rows() != shape[0] || m.cols() != shape[1]) {
                    throw new LoupeException("weights: tensor '" + name + "' has shape [" + m.rows() + ", " + m.cols()
                            + "], expected " + Arrays.toString(shape));
                }
                halves.put(name, m);
            } else {
                Tensor t = vectors.get(name);
                if (t == null) throw new LoupeException("weights: tensor '" + name + "' is missing");
                if (!Arrays.equals(t.shape(), shape)) {
                    throw new LoupeException("weights: tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                            + ", expected " + Arrays.toString(shape));
                }
                floats.put(name, t.contiguous());
            }
        }
        return new Gpt(c, floats, halves, true);
    }

    /**
     * This model with its weight matrices rounded to bfloat16 (nearest, ties to even, as PyTorch's
     * {@code .to(torch.bfloat16)}) for inference; the other tensors are shared, not copied. A model
     * already in bfloat16 is returned as it is.
     */
    public Gpt toBf16() {
        if (weightFormat() == WeightFormat.BF16) return this;
        Map<String, Tensor> vectors = new LinkedHashMap<>();
        Map<String, Bf16Matrix> matrices = new LinkedHashMap<>();
        params.forEach((name, t) -> {
            if (heldInBf16(config, name)) matrices.put(name, Bf16Matrix.of(t));
            else vectors.put(name, t);
        });
        return withBf16Matrices(config, vectors, matrices);
    }

    /** How this model holds its weight matrices. */
    public WeightFormat weightFormat() {
        return matricesBf16.isEmpty() ? WeightFormat.F32 : WeightFormat.BF16;
    }

    /** The bfloat16 weight matrices by name (empty for a float32 model, whose matrices are in {@link #parameters()}). */
    public Map<String, Bf16Matrix> bf16Matrices() {
        return matricesBf16;
    }

    private static Gpt fromWeights(GptConfig c, Map<String, Tensor> weights, boolean frozen) {
        Map<String, Tensor> byName = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : weights.entrySet()) {
            String name = e.getKey().startsWith("transformer.") ? e.getKey().substring("transformer.".length()) : e.getKey();
            byName.put(name, e.getValue());
        }
        Map<String, int[]> expected = c.expectedShapes();
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            Tensor t = byName.get(e.getKey());
            if (t == null) {
                throw new LoupeException("weights: tensor '" + e.getKey() + "' is missing (expected shape "
                        + Arrays.toString(e.getValue()) + ")");
            }
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new LoupeException("weights: tensor '" + e.getKey() + "' has shape " + Arrays.toString(t.shape())
                        + ", expected " + Arrays.toString(e.getValue()));
            }
            m.put(e.getKey(), t.contiguous());
        }
        for (String name : byName.keySet()) {
            boolean ignorable = name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias")
                    || (c.tied() && name.equals("lm_head.weight"));
            if (!expected.containsKey(name) && !ignorable) {
                throw new LoupeException("weights: unexpected tensor '" + name + "' for this configuration (norm "
                        + c.norm() + ", mlp " + c.mlp() + ", positional " + c.positional() + ", tied " + c.tied()
                        + ", attn_bias " + c.attnBias() + ", attention " + c.attention().describe() + ")");
            }
        }
        return new Gpt(c, m, frozen);
    }

    // ---------------------------------------------------------------- TrainableModel

    @Override
    public GptConfig config() {
        return config;
    }

    @Override
    public Map<String, Tensor> parameters() {
        return params;
    }

    @Override
    public Map<String, Tensor> gradients() {
        return grads;
    }

    @Override
    public void zeroGradients() {
        for (Tensor g : buffers.values()) g.fill(0f);
    }

    @Override
    public float forwardBackward(int[] inputs, int[] targets, int batch, int seqLen) {
        if (!matricesBf16.isEmpty()) throw new LoupeException("a model with bfloat16 weights is for inference only: train in float32");
        dropOverCapacity(true);                                         // MoE capacity: training steps only
        try {
            Activations a = forward(inputs, batch, seqLen, null);            // training: never hooked
            float loss = CrossEntropy.lossAndGradient(a.logits, targets);   // logits ← dL/dlogits
            backward(inputs, a);                                            // + the MoE aux and z gradients
            return loss;
        } finally {
            dropOverCapacity(false);
        }
    }

    private void dropOverCapacity(boolean on) {
        for (Block b : blocks) if (b.mlp != null && b.mlp.isMixture()) b.mlp.mixture.dropOverCapacity(on);
    }

    /**
     * The mixture-of-experts terms of the last forward pass, summed over the MoE layers: the aux
     * load-balancing loss and the router z-loss (already multiplied by their coefficients), and the
     * (token, choice) slots dropped over capacity out of all slots. {@link #forwardBackward} returns
     * the language-model loss alone; its gradients are those of LM + aux + z. All zero for a dense model.
     */
    @Override
    public RouterLosses routerLosses() {
        double aux = 0, z = 0;
        long dropped = 0, slots = 0;
        for (Block b : blocks) {
            if (b.mlp == null || !b.mlp.isMixture()) continue;
            MixtureOfExperts m = b.mlp.mixture;
            aux += m.auxLoss();
            z += m.zLoss();
            dropped += m.dropped();
            slots += m.slots();
        }
        return new RouterLosses(aux, z, dropped, slots);
    }

    /** The mixture of experts of layer {@code l}, or null when its MLP is dense (or absent). */
    public MixtureOfExperts mixture(int l) {
        Mlp m = blocks[l].mlp;
        return m == null ? null : m.mixture;
    }

    @Override
    public float loss(int[] inputs, int[] targets, int batch, int seqLen) {
        return CrossEntropy.loss(forward(inputs, batch, seqLen).logits, targets);
    }

    // ---------------------------------------------------------------- forward

    /**
     * Runs the model on {@code batch} sequences of {@code seqLen} tokens (ids [B·T], row-major) and
     * returns every activation. The returned buffer is the model's reusable workspace: it is
     * overwritten by the next call with the same or different sizes. Attached {@link #hooks()} run.
     */
    public Activations forward(int[] ids, int batch, int seqLen) {
        return forward(ids, batch, seqLen, activeHooks());
    }

    private Activations forward(int[] ids, int batch, int seqLen, Hooks hooks) {
        checkBatch(ids, batch, seqLen);
        positions.checkContext(0, seqLen);
        if (workspace == null || workspace.batch != batch || workspace.seqLen != seqLen) {
            workspace = null; // let the old buffers go before allocating new ones
            workspace = new Activations(config, batch, seqLen, seqLen);
        }
        run(ids, batch, seqLen, workspace, null, hooks);
        return workspace;
    }

    /**
     * Logits [B, T, V] for ids [B·T]. Inference only: runs in its own buffers (one attention pattern
     * shared by all blocks), leaving the training workspace alone, and returns their logits tensor.
     * Attached {@link #hooks()} run. The ids are used as given: a BOS token is there only if the
     * caller put it there.
     */
    public Tensor logits(int[] ids, int batch, int seqLen) {
        checkBatch(ids, batch, seqLen);
        positions.checkContext(0, seqLen);
        Activations a = Activations.forInference(config, batch, seqLen, seqLen);
        run(ids, batch, seqLen, a, null, activeHooks());
        return a.logits.reshape(batch, seqLen, config.vocabSize());
    }

    /**
     * Runs blocks 0..{@code lastLayer} only on ids [B·T] and stops: no later block, no final
     * LayerNorm, no logits. Attached {@link #hooks()} fire as in {@link #forward} up to the end of
     * block {@code lastLayer}, and the activations are bit-identical to a full pass's, which is how activation harvesting (dictionary learning) reads a hook
     * point for (lastLayer + 1)/n_layer of a forward pass's cost, without allocating the logits.
     */
    public void forwardThrough(int[] ids, int batch, int seqLen, int lastLayer) {
        checkBatch(ids, batch, seqLen);
        positions.checkContext(0, seqLen);
        if (lastLayer < 0 || lastLayer >= blocks.length) {
            throw new IllegalArgumentException("layer " + lastLayer + " outside 0.." + (blocks.length - 1));
        }
        Hooks h = activeHooks();
        int rows = batch * seqLen;
        Tensor x = Tensor.zeros(rows, config.dModel()), out = Tensor.zeros(rows, config.dModel());
        embed(ids, batch, seqLen, 0, x, h);
        Block.State state = new Block.State(config, batch, seqLen, seqLen);
        for (int l = 0; l <= lastLayer; l++) {
            if (h != null) h.fire(HookPoints.name(l, "hook_resid_pre"), Hooks.rows(x, batch, seqLen));
            blocks[l].forward(x, state, batch, seqLen, null, l, out, h);
            if (h != null) h.fire(HookPoints.name(l, "hook_resid_post"), Hooks.rows(out, batch, seqLen));
            Tensor t = x; x = out; out = t;
        }
    }

    /**
     * A model directory or fetched hub name (e.g. "gpt2") with its tokenizer: the researcher's
     * one-liner ({@code var m = Gpt.load("runs/quickstart/attn-only-2l")}); see {@link Pretrained}.
     */
    public static Pretrained load(String dirOrHubName) {
        return Pretrained.load(dirOrHubName);
    }

    /**
     * Mean next-token loss (nats) of one sequence ids [T]: position t predicts ids[t + 1]
     * (TransformerLens's {@code model(tokens, return_type="loss")}). Attached hooks run.
     */
    public double loss(int[] ids) {
        if (ids.length < 2) throw new LoupeException("a loss needs at least 2 tokens, got " + ids.length);
        int n = ids.length - 1;
        return loss(Arrays.copyOf(ids, n), Arrays.copyOfRange(ids, 1, ids.length), 1, n);
    }

    /** {@link #runWithCache(int[], int, int, java.util.function.Predicate)} of one sequence ids [T], caching every hook point. */
    public CachedRun runWithCache(int[] ids) {
        return runWithCache(ids, 1, ids.length, name -> true);
    }

    /** Logits [B, T, V] and the activations whose hook names pass {@code names}, copied. */
    public record CachedRun(Tensor logits, ActivationCache cache) {}

    /**
     * TransformerLens's {@code run_with_cache}: the logits of ids [B·T] and a cache of exactly the
     * hook points whose names pass {@code names} (e.g. {@code n -> n.endsWith("hook_pattern")}).
     * Hooks already attached run too, before the cache sees each activation.
     */
    public CachedRun runWithCache(int[] ids, int batch, int seqLen, java.util.function.Predicate<String> names) {
        ActivationCache cache = new ActivationCache();
        try (var h = hooks.add(names, cache)) {
            return new CachedRun(logits(ids, batch, seqLen), cache);
        }
    }

    /**
     * The hooks attached to this model (see {@link Hooks}): they run in {@link #forward},
     * {@link #logits}, {@link #loss} and {@link #runWithCache}; not in {@link #forwardBackward}
     * (training) nor in cached decoding ({@link #decode}).
     */
    public Hooks hooks() {
        return hooks;
    }

    /** Null when no hook is attached, so the forward pass pays one null check per hook point. */
    private Hooks activeHooks() {
        return hooks.isEmpty() ? null : hooks;
    }

    private void run(int[] ids, int batch, int seqLen, Activations a, KvCache cache, Hooks hooks) {
        int past = cache == null ? 0 : cache.length();
        Tensor x = a.residual.pre(0);
        embed(ids, batch, seqLen, past, x, hooks);
        for (int l = 0; l < blocks.length; l++) {
            if (hooks != null) hooks.fire(HookPoints.name(l, "hook_resid_pre"), Hooks.rows(a.residual.pre(l), batch, seqLen));
            blocks[l].forward(a.residual.pre(l), a.blocks[l], batch, seqLen, cache, l, a.residual.post(l), hooks);
            if (hooks != null) hooks.fire(HookPoints.name(l, "hook_resid_post"), Hooks.rows(a.residual.post(l), batch, seqLen));
        }
        if (lnFinal != null) {
            lnFinal.forward(a.residual.last(), a.lnFinal, a.lnFinalMean, a.lnFinalRstd);
            if (hooks != null) {
                hooks.layerNorm("ln_final", lnFinal, a.residual.last(), a.lnFinal, a.lnFinalMean, a.lnFinalRstd, batch, seqLen);
            }
        }
        unembedding.forward(a.lnFinal, a.logits);                   // [B·T, V]; a.lnFinal is x_L without LN
    }

    /** x_0 = W_E[t] + P[pos] into x [B·T, d]; with hooks, {@code hook_embed} and {@code hook_pos_embed} fire. */
    private void embed(int[] ids, int batch, int seqLen, int past, Tensor x, Hooks hooks) {
        embedding.forward(ids, x);                                  // x_0 = W_E[t]
        if (hooks == null) {
            positions.addTo(x, batch, seqLen, past);                //     + P[pos]
        } else {
            hooks.fire("hook_embed", Hooks.rows(x, batch, seqLen));
            Tensor pos = Tensor.zeros(batch * seqLen, config.dModel());
            positions.addTo(pos, batch, seqLen, past);
            hooks.fire("hook_pos_embed", Hooks.rows(pos, batch, seqLen));
            Ops.add(x, pos, x);
        }
    }

    // ---------------------------------------------------------------- backward

    /** Backward from dL/dlogits (in {@code a.logits}) to every parameter gradient (accumulated). */
    private void backward(int[] ids, Activations a) {
        Activations.Scratch g = a.scratch();
        unembedding.backward(a.logits, a.lnFinal, g.dTmp);                                  // d LN_f(x_L)
        g.dResid.fill(0f);
        if (lnFinal != null) lnFinal.backward(g.dTmp, a.residual.last(), a.lnFinalMean, a.lnFinalRstd, g.dResid); // d x_L
        else g.dTmp.copyInto(g.dResid);                                                      // no ln_f: d x_L
        for (int l = blocks.length - 1; l >= 0; l--) {
            blocks[l].backward(a.residual.pre(l), a.blocks[l], a.batch, a.seqLen, g);         // d x_l
        }
        embedding.backward(ids, g.dResid);                                                  // dW_E
        positions.backward(g.dResid, a.batch, a.seqLen);                                    // dW_pos
    }

    // ---------------------------------------------------------------- cached decoding

    /**
     * A KV cache for one sequence of up to {@code capacity} positions. With learned positions the
     * capacity cannot exceed n_positions (there is no position embedding beyond it).
     */
    public KvCache newCache(int capacity) {
        positions.checkContext(0, capacity);
        return new KvCache(config, capacity);
    }

    /**
     * Feeds {@code tokens} after the positions already in {@code cache} (a prompt, or one token) and
     * returns their logits [tokens.length, V] (a new tensor); the cache then holds them too. Equal,
     * to float32 rounding, to the rows of a full forward over the whole context.
     */
    public Tensor decode(int[] tokens, KvCache cache) {
        if (tokens.length == 0) throw new IllegalArgumentException("decode: no tokens");
        cache.checkRoom(tokens.length);
        positions.checkContext(cache.length(), tokens.length);
        Activations a;
        boolean recurrent = config.attention().recurrent();
        if (tokens.length == 1) {
            // recurrent attention reads no pattern: its state replaces the keys
            if (cache.step == null) cache.step = Activations.forInference(config, 1, 1, recurrent ? 1 : cache.capacity());
            a = cache.step;
        } else {
            a = Activations.forInference(config, 1, tokens.length, recurrent ? tokens.length : cache.length() + tokens.length); // patterns [T, keys so far]
        }
        run(tokens, 1, tokens.length, a, cache, null);             // cached decoding: never hooked
        cache.advance(tokens.length);
        return a.logits.copy();
    }

    /** One decoding step: the logits [V] for the position after {@code token}, appended to the cache. */
    public Tensor decodeStep(int token, KvCache cache) {
        return decode(new int[] {token}, cache).reshape(config.vocabSize());
    }

    private void checkBatch(int[] ids, int batch, int seqLen) {
        if (batch <= 0 || seqLen <= 0) throw new IllegalArgumentException("batch and seqLen must be positive");
        if (ids.length != batch * seqLen) {
            throw new IllegalArgumentException("expected " + batch + "×" + seqLen + " = " + (batch * seqLen)
                    + " token ids, got " + ids.length);
        }
    }
}
