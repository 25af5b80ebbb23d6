package dev.loupe.analysis.trace;

import dev.loupe.model.Attention;
import dev.loupe.model.Block;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.model.LayerNorm;
import dev.loupe.model.Mlp;
import dev.loupe.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

import static dev.loupe.analysis.trace.PlainMath.*;

/**
 * One forward pass of a GPT, recomputed step by step in plain loops ({@link PlainMath}) from the
 * model's weights, with every intermediate kept as a numbered {@link TraceStep}: the embedding
 * lookup and positions, each LayerNorm (μ, σ, γ, β, the normalised rows), Q, K, V per head, the
 * scores Q·Kᵀ/√d_k, the causal mask, the softmax rows, the blend A·V, the concatenation and W_O,
 * the residual adds, the MLP (expand, GELU/ReLU, recombine), the final LayerNorm, the logits and the
 * greedy next token. Pre-LN and post-LN models put their LayerNorms in different places, and the
 * steps follow the model's own order (see {@link GptConfig.Norm}).
 *
 * <p>It reads the model's weights but never calls its forward code, so the numbers are an
 * independent computation that the tests compare with {@link Gpt#forward}'s activations.
 */
public final class ForwardTrace {
    /** Vocabularies up to this size are shown whole; larger ones show the likeliest tokens. */
    static final int TOP_TOKENS = 8;

    private final Gpt gpt;
    private final int[] ids;
    private final List<String> tokens;
    private final IntFunction<String> tokenName;
    private final List<TraceStep> steps = new ArrayList<>();
    private final Map<String, double[][]> values = new LinkedHashMap<>();
    private int next;
    private double[][] logits;
    private double[][] probs;
    private double[][] lnFinalOut;
    private int predicted;

    private ForwardTrace(Gpt gpt, int[] ids, IntFunction<String> tokenName, int firstStep) {
        this.gpt = gpt;
        this.ids = ids.clone();
        this.tokenName = tokenName;
        this.tokens = Arrays.stream(ids).mapToObj(tokenName::apply).toList();
        this.next = firstStep;
    }

    /**
     * Traces the forward pass of {@code gpt} on {@code ids} (one sequence of T tokens), numbering the
     * steps from 1. {@code tokenName} turns a token id into its display text.
     */
    public static ForwardTrace run(Gpt gpt, int[] ids, IntFunction<String> tokenName) {
        dev.loupe.analysis.circuits.PlainResidual.require(gpt, "the learner's trace");
        GptConfig c = gpt.config();
        if (ids.length == 0) throw new IllegalArgumentException("the prompt has no tokens");
        if (c.moe() != null && c.mlp() != GptConfig.Mlp.NONE) {
            throw new dev.loupe.LoupeException("trace walks through one dense MLP per block; this model's MLPs are mixtures of experts, "
                    + "which it does not trace (use 'loupe hooks', 'loupe attribute' or 'loupe ablate --experts')");
        }
        if (c.positional() == GptConfig.Positional.LEARNED && ids.length > c.nPositions()) {
            throw new dev.loupe.LoupeException("the prompt has " + ids.length + " tokens, more than the model's n_positions = " + c.nPositions());
        }
        for (int id : ids) {
            if (id < 0 || id >= c.vocabSize()) throw new dev.loupe.LoupeException("token id " + id + " is outside the vocabulary [0, " + c.vocabSize() + ")");
        }
        ForwardTrace f = new ForwardTrace(gpt, ids, tokenName, 1);
        f.compute();
        return f;
    }

    /** The numbered steps, in order. */
    public List<TraceStep> steps() {
        return List.copyOf(steps);
    }

    /** The number the next step after this trace should take. */
    public int nextStepNumber() {
        return next;
    }

    /** Every matrix by key (see {@link TraceTensor#key()}), in double precision; null if absent. */
    public double[][] value(String key) {
        double[][] v = values.get(key);
        return v == null ? null : Arrays.stream(v).map(double[]::clone).toArray(double[][]::new);
    }

    /** The keys of every matrix, in step order. */
    public List<String> keys() {
        return List.copyOf(values.keySet());
    }

    public Gpt model() { return gpt; }

    public int[] ids() { return ids.clone(); }

    /** The prompt's tokens as displayed. */
    public List<String> tokens() { return tokens; }

    public String tokenName(int id) { return tokenName.apply(id); }

    /** Logits [T, V]. */
    public double[][] logits() { return value("logits"); }

    /** softmax(logits) [T, V]. */
    public double[][] probabilities() { return value("probs"); }

    /** LN_f(x_L) [T, d_model] (x_L itself without LayerNorm): what the unembedding reads. */
    public double[][] finalNormalized() { return lnFinalOut; }

    /** The greedy next token after the prompt: argmax of the last row of the probabilities. */
    public int predicted() { return predicted; }

    // ------------------------------------------------------------------ the computation

    private void compute() {
        GptConfig c = gpt.config();
        int t = ids.length, d = c.dModel();
        String td = "[T, d_model] = [" + t + ", " + d + "]";

        Tensor embed = gpt.embedding.weightFloat32();   // [V, d]; a bfloat16 model: widened for this trace only
        double[][] tok = new double[t][];
        for (int i = 0; i < t; i++) tok[i] = embeddingRow(embed, ids[i]);
        double[][] idCol = new double[t][1];
        for (int i = 0; i < t; i++) idCol[i][0] = ids[i];
        step("Token embedding lookup", "X_tok[i] = W_E[t_i]   (row t_i of W_E [V, d_model])", td,
                "Each token id picks one row of the embedding matrix W_E: d_model numbers that stand for the token "
                        + "before any context is seen. The same token always gets the same row.",
                t("tokens", "token ids t_i", idCol, tokens, List.of("id")),
                t("hook_embed", "X_tok = W_E[t]", tok, tokens, List.of()));

        double[][] pos = new double[t][d];
        String posMeaning;
        switch (c.positional()) {
            case LEARNED -> {
                for (int i = 0; i < t; i++) pos[i] = embeddingRow(gpt.positions.table, i);
                posMeaning = "Learned positions (GPT-2): row i of W_pos is added to the token at position i, so every "
                        + "(token, position) pair starts at a different point and attention can tell order apart.";
            }
            case SINUSOIDAL -> {
                for (int i = 0; i < t; i++) pos[i] = embeddingRow(gpt.positions.table, i);
                posMeaning = "Sinusoidal positions (Vaswani et al.): p_i[2k] = sin(i/10000^(2k/d)), p_i[2k+1] = cos(…), "
                        + "fixed, not learned, added to the token vectors.";
            }
            default -> posMeaning = "This model adds no position vectors (p_i = 0): only the causal mask tells it about order.";
        }
        double[][] x = add(tok, pos);
        step("Positions", "x_i = W_E[t_i] + p_i", td, posMeaning + " The sum is the residual stream x_0 that every block reads and adds to.",
                t("hook_pos_embed", "p_i", pos, tokens, List.of()),
                t("blocks.0.hook_resid_pre", "x_0 = X_tok + P", x, tokens, List.of()));

        for (int l = 0; l < gpt.blocks.length; l++) {
            x = block(l, gpt.blocks[l], x);
        }

        String f = "ln_final";
        lnFinalOut = layerNorm(f, "final LayerNorm LN_f", gpt.lnFinal, x,
                "After the last block the stream is normalised once more so that the unembedding reads vectors of a "
                        + "fixed scale (both pre-LN and post-LN GPTs have this final LayerNorm in the GPT-2 layout).");

        int v = c.vocabSize();
        logits = unembed(lnFinalOut);
        List<String> vocab = v <= 64 ? IntStream.range(0, v).mapToObj(tokenName).toList() : List.of();
        step("Logits", "ℓ_i = LN_f(x_L)_i · W_Uᵀ" + (c.tied() ? "   (W_U = W_E: tied)" : ""),
                "[T, V] = [" + t + ", " + v + "]",
                "One dot product per vocabulary entry: how well the final meaning at position i matches each token's "
                        + "unembedding row. Row i scores the candidates for the token after position i.",
                t("logits", "ℓ = LN_f(x_L)·W_Uᵀ", logits, tokens, vocab));

        probs = softmaxRows(logits);
        double[] last = probs[t - 1];
        predicted = argmax(last);
        int[] top = topIndices(last, Math.min(TOP_TOKENS, v));
        double[][] topP = new double[1][top.length];
        List<String> topNames = new ArrayList<>();
        for (int k = 0; k < top.length; k++) {
            topP[0][k] = last[top[k]];
            topNames.add(tokenName.apply(top[k]));
        }
        step("Softmax and the next token", "p_i = softmax(ℓ_i),  p_i[j] = e^{ℓ_ij} / Σ_k e^{ℓ_ik};   next = argmax_j p_{T−1}[j]",
                "[T, V] = [" + t + ", " + v + "]",
                String.format(Locale.ROOT, "Each row becomes a probability distribution over the vocabulary (non-negative, "
                        + "summing to 1). The last row is the prediction for the token after the prompt; greedy decoding "
                        + "takes the most probable one: %s (p = %.4f).", tokenName.apply(predicted), last[predicted]),
                t("probs", "p = softmax(ℓ)", probs, tokens, vocab),
                t("next_token_top", "p_{T−1}, likeliest first", topP, List.of(tokens.get(t - 1)), topNames));
    }

    /** One transformer block, in the model's LayerNorm placement; returns the stream it leaves. */
    private double[][] block(int l, Block b, double[][] x) {
        String p = "blocks." + l + ".";
        int t = ids.length, d = x[0].length;
        String td = "[T, d_model] = [" + t + ", " + d + "]";
        boolean pre = b.norm != GptConfig.Norm.POST;   // no LN: the pre-LN layout with identity norms
        double[][] mid;
        if (pre) {
            double[][] a = layerNorm(p + "ln1", "LN1, block " + l + " (pre-LN: before attention)", b.ln1, x,
                    "Pre-LN (GPT-2): attention reads a normalised COPY of the stream; the stream x itself is left as it is "
                            + "and only receives attention's output in the residual add.");
            double[][] out = attention(l, p, b.attn, a);
            mid = add(x, out);
            step("Residual add after attention, block " + l, "x_mid = x + attn_out", td,
                    "The attention output is added to the stream, not substituted: keep what was there plus a learned "
                            + "correction. This identity path is also the gradient's short way back.",
                    t(p + "hook_resid_mid", "x_mid = x + attn_out", mid, tokens, List.of()));
            if (b.mlp == null) {
                values.put(p + "hook_resid_post", mid);   // attention-only: the block ends here
                return mid;
            }
            double[][] m = layerNorm(p + "ln2", "LN2, block " + l + " (pre-LN: before the MLP)", b.ln2, mid,
                    "Pre-LN again: the MLP reads a normalised copy of x_mid.");
            double[][] z = mlp(l, p, b.mlp, m);
            double[][] outStream = add(mid, z);
            step("Residual add after the MLP, block " + l, "x_out = x_mid + mlp_out", td,
                    "The MLP's answer is added to the stream; x_out is what the next block (or the final LayerNorm) reads.",
                    t(p + "hook_resid_post", "x_out = x_mid + mlp_out", outStream, tokens, List.of()));
            return outStream;
        }
        double[][] out = attention(l, p, b.attn, x);
        double[][] sum = add(x, out);
        step("Residual add after attention, block " + l, "s = x + attn_out", td,
                "Post-LN (the original 2017 Transformer): attention read the raw stream x; its output is added to x, and "
                        + "the SUM is normalised next, so the stream itself gets normalised.",
                t(p + "attn_sum", "s = x + attn_out", sum, tokens, List.of()));
        mid = layerNorm(p + "ln1", "LN1, block " + l + " (post-LN: after the residual add)", b.ln1, sum,
                "Post-LN: LN1 sits after the add; its output replaces the stream (x_mid = LN1(x + attn_out)).");
        values.put(p + "hook_resid_mid", mid);
        if (b.mlp == null) {
            values.put(p + "hook_resid_post", mid);
            return mid;
        }
        double[][] z = mlp(l, p, b.mlp, mid);
        double[][] sum2 = add(mid, z);
        step("Residual add after the MLP, block " + l, "s₂ = x_mid + mlp_out", td,
                "The MLP's answer is added to the stream; post-LN normalises this sum next.",
                t(p + "mlp_sum", "s₂ = x_mid + mlp_out", sum2, tokens, List.of()));
        double[][] o = layerNorm(p + "ln2", "LN2, block " + l + " (post-LN: after the residual add)", b.ln2, sum2,
                "Post-LN: the normalised sum is the block's output x_out = LN2(x_mid + mlp_out).");
        values.put(p + "hook_resid_post", o);
        return o;
    }

    /** Multi-head causal self-attention on the rows {@code a} [T, d]; returns attn_out [T, d]. */
    private double[][] attention(int l, String p, Attention attn, double[][] a) {
        int t = a.length, d = a[0].length, dk = attn.dHead, nh = attn.nHead;
        double[][] w = of(attn.qkv.weightFloat32());          // [d, 3d]: q | k | v
        double[] bias = biasOf(attn.qkv.bias, 3 * d); // [3d]
        double[][] qkv = addRow(matmul(a, w), bias); // [T, 3d]
        List<String> dims = List.of();

        List<TraceTensor> qkvShown = new ArrayList<>();
        double[][][] q = new double[nh][][], k = new double[nh][][], v = new double[nh][][];
        for (int h = 0; h < nh; h++) {
            q[h] = columns(qkv, h * dk, (h + 1) * dk);
            k[h] = columns(qkv, d + h * dk, d + (h + 1) * dk);
            v[h] = columns(qkv, 2 * d + h * dk, 2 * d + (h + 1) * dk);
            qkvShown.add(t(p + "attn.h" + h + ".q", "Q_" + h, q[h], tokens, dims));
            qkvShown.add(t(p + "attn.h" + h + ".k", "K_" + h, k[h], tokens, dims));
            qkvShown.add(t(p + "attn.h" + h + ".v", "V_" + h, v[h], tokens, dims));
        }
        String heads = "n_head = " + nh + ", d_head = d_k = d_model/n_head = " + dk;
        step("Queries, keys and values per head, block " + l,
                "Q_h = a·W_Q^h + b_Q^h,   K_h = a·W_K^h + b_K^h,   V_h = a·W_V^h + b_V^h   (a = the rows attention reads)",
                "[T, d_head] = [" + t + ", " + dk + "] each; " + heads,
                "Every head reads the same rows through its own three projections. The query says what token i is "
                        + "looking for, the key what token j offers to be matched on, the value what token j will send "
                        + "if it is chosen.",
                qkvShown.toArray(TraceTensor[]::new));

        double scale = 1 / Math.sqrt(dk);
        List<TraceTensor> scoresShown = new ArrayList<>(), maskShown = new ArrayList<>(), patShown = new ArrayList<>(),
                blendShown = new ArrayList<>();
        double[][] mask = new double[t][t];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < t; j++) mask[i][j] = j <= i ? 0 : Double.NEGATIVE_INFINITY;
        }
        double[][] z = new double[t][d];
        for (int h = 0; h < nh; h++) {
            double[][] s = scale(matmul(q[h], transpose(k[h])), scale);
            scoresShown.add(t(p + "attn.h" + h + ".scores", "S_" + h + " = Q_" + h + "·K_" + h + "ᵀ/√" + dk, s, tokens, tokens));
            double[][] sm = add(s, mask);
            maskShown.add(t(p + "attn.h" + h + ".masked", "S_" + h + " + M", sm, tokens, tokens));
            double[][] pat = softmaxRows(sm);
            patShown.add(t(p + "attn.h" + h + ".pattern", "A_" + h, pat, tokens, tokens));
            patShown.add(t(p + "attn.h" + h + ".row_sums", "Σ_j A_" + h + "[i, j]", column(rowSums(pat)), tokens, List.of("sum")));
            double[][] y = matmul(pat, v[h]);
            blendShown.add(t(p + "attn.h" + h + ".z", "Y_" + h + " = A_" + h + "·V_" + h, y, tokens, dims));
            for (int i = 0; i < t; i++) System.arraycopy(y[i], 0, z[i], h * dk, dk);
        }
        String tt = "[T, T] = [" + t + ", " + t + "] per head (rows: the query token i, columns: the key token j)";
        step("Attention scores, block " + l, "S_h = Q_h·K_hᵀ / √d_k", tt,
                "Entry (i, j) is how well token i's query matches token j's key. Dividing by √d_k = √" + dk
                        + " keeps the scores in a range where the softmax is not saturated.",
                scoresShown.toArray(TraceTensor[]::new));
        maskShown.add(0, t(p + "attn.mask", "M (0 on and below the diagonal, −∞ above)", mask, tokens, tokens));
        step("Causal mask, block " + l, "S_h + M,   M[i, j] = 0 if j ≤ i, −∞ if j > i", tt,
                "A token may only look at itself and earlier tokens: a GPT predicts the future, so it must not see it. "
                        + "Adding −∞ makes the softmax give those entries exactly 0.",
                maskShown.toArray(TraceTensor[]::new));
        step("Softmax rows: the attention pattern, block " + l, "A_h = softmax(S_h + M), row by row", tt,
                "Row i is token i's attention budget over the tokens it can see: non-negative weights that sum to 1 "
                        + "(see the row sums). The first token can only attend to itself.",
                patShown.toArray(TraceTensor[]::new));
        step("Weighted sum of values, block " + l, "Y_h = A_h·V_h", "[T, d_head] = [" + t + ", " + dk + "] per head",
                "Each row is the blend from that token's point of view: row i mixes the value vectors of tokens 0…i "
                        + "with the weights in row i of A_h. One head, one perspective.",
                blendShown.toArray(TraceTensor[]::new));

        double[][] wo = of(attn.proj.weightFloat32());
        double[] bo = biasOf(attn.proj.bias, d);
        double[][] out = addRow(matmul(z, wo), bo);
        step("Concatenate the heads and apply W_O, block " + l,
                "Z = [Y_1 ‖ … ‖ Y_H],   attn_out = Z·W_O + b_O   (= Σ_h Y_h·W_O^h + b_O)",
                "[T, H·d_head] = [" + t + ", " + d + "] → [T, d_model] = [" + t + ", " + d + "]",
                "The heads' blends side by side (mind the boundaries: columns " + dk + " at a time belong to one head), "
                        + "then W_O mixes them back into the stream's d_model directions. Because W_O is linear this is "
                        + "the same as every head writing Y_h·W_O^h into the stream and the writes adding up.",
                t(p + "attn.hook_z", "Z = [Y_1 ‖ … ‖ Y_H]", z, tokens, dims),
                t(p + "hook_attn_out", "attn_out = Z·W_O + b_O", out, tokens, dims));
        return out;
    }

    /** The MLP on the rows {@code m} [T, d]; returns mlp_out [T, d]. */
    private double[][] mlp(int l, String p, Mlp mlp, double[][] m) {
        int t = m.length, d = m[0].length;
        double[][] w1 = of(mlp.fc.weightFloat32());
        double[][] pre = addRow(matmul(m, w1), vector(mlp.fc.bias));
        int dm = mlp.proj.inFeatures();
        step("MLP expand, block " + l, "h = a·W_1 + b_1", "[T, d_mlp] = [" + t + ", " + pre[0].length + "]",
                "d_mlp = " + dm + " hidden units ('neurons') each take one dot product with the token's contextual "
                        + "meaning: " + dm + " little analyses of the same vector, position by position (no mixing "
                        + "between tokens here).",
                t(p + "mlp.hook_pre", "h", pre, tokens, List.of()));
        double[][] post = new double[t][dm];
        String formula, meaning;
        switch (mlp.kind) {
            case GELU -> {
                formula = "r = GELU(h) = ½·h·(1 + tanh(√(2/π)·(h + 0.044715·h³)))";
                meaning = "The gate: a unit whose pattern is absent (h clearly negative) is muted to ≈ 0, a present one "
                        + "passes ≈ unchanged. GELU is a smooth ReLU (GPT-2's tanh form).";
                for (int i = 0; i < t; i++) for (int j = 0; j < dm; j++) post[i][j] = gelu(pre[i][j]);
            }
            case RELU -> {
                formula = "r = ReLU(h) = max(0, h)";
                meaning = "The gate: negative entries become exactly 0, positive ones pass unchanged.";
                for (int i = 0; i < t; i++) for (int j = 0; j < dm; j++) post[i][j] = relu(pre[i][j]);
            }
            case SWIGLU -> {
                formula = "r = silu(h_gate) ⊙ h_up,   silu(u) = u·σ(u)";
                meaning = "SwiGLU: one half of h gates the other half elementwise.";
                for (int i = 0; i < t; i++) for (int j = 0; j < dm; j++) post[i][j] = silu(pre[i][j]) * pre[i][dm + j];
            }
            default -> throw new IllegalStateException("no MLP");
        }
        step("MLP non-linearity, block " + l, formula, "[T, d_mlp] = [" + t + ", " + dm + "]", meaning,
                t(p + "mlp.hook_post", "r", post, tokens, List.of()));
        double[][] out = addRow(matmul(post, of(mlp.proj.weightFloat32())), vector(mlp.proj.bias));
        step("MLP recombine, block " + l, "mlp_out = r·W_2 + b_2", "[T, d_model] = [" + t + ", " + d + "]",
                "Each active unit writes its own direction (a row of W_2) back into the stream's space, weighted by how "
                        + "strongly it fired: the MLP's answer for each token.",
                t(p + "hook_mlp_out", "mlp_out", out, tokens, List.of()));
        return out;
    }

    /** A bias as doubles, or n zeros when the layer has none (attention with {@code attn_bias: false}). */
    private static double[] biasOf(Tensor bias, int n) {
        return bias == null ? new double[n] : vector(bias);
    }

    /** One LayerNorm step (μ, σ, γ, β, x̂, the output) on x [T, d]; returns LN(x). No LayerNorm (null): x, no step. */
    private double[][] layerNorm(String key, String title, LayerNorm ln, double[][] x, String where) {
        if (ln == null) return x;
        int t = x.length, d = x[0].length;
        double[] mu = rowMean(x);
        double[] sigma = rowSigma(x, mu, ln.eps);
        double[][] xhat = standardize(x, mu, sigma);
        double[] gamma = vector(ln.weight), beta = vector(ln.bias);
        double[][] y = affine(xhat, gamma, beta);
        step(title, "μ = mean_k x[k],  σ = √(mean_k (x[k] − μ)² + ε),  LN(x) = γ ⊙ (x − μ)/σ + β   (ε = " + String.format(Locale.ROOT, "%.0e", ln.eps) + ")",
                "[T, d_model] = [" + t + ", " + d + "], one μ and σ per token",
                where + " Each token's vector is re-centred to mean 0 and rescaled to standard deviation 1 (x̂), then "
                        + "stretched by γ and shifted by β (learned, one per dimension).",
                t(key + ".mean", "μ", column(mu), tokens, List.of("μ")),
                t(key + ".sigma", "σ", column(sigma), tokens, List.of("σ")),
                t(key + ".gamma", "γ", row(gamma), List.of("γ"), List.of()),
                t(key + ".beta", "β", row(beta), List.of("β"), List.of()),
                t(key + ".xhat", "x̂ = (x − μ)/σ", xhat, tokens, List.of()),
                t(key + ".hook_normalized", "LN(x) = γ ⊙ x̂ + β", y, tokens, List.of()));
        return y;
    }

    /** ℓ = x·W_Uᵀ with W_U [V, d] read in place (a vocabulary of 50k rows is not copied). */
    private double[][] unembed(double[][] x) {
        Tensor w = gpt.unembedding.weightFloat32().contiguous();   // a bfloat16 model: widened for this call
        float[] wd = w.data();
        int off = w.offset(), v = w.dim(0), d = w.dim(1);
        double[][] z = new double[x.length][v];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < v; j++) {
                double s = 0;
                int o = off + j * d;
                for (int k = 0; k < d; k++) s += x[i][k] * wd[o + k];
                z[i][j] = s;
            }
        }
        return z;
    }

    private static double[] embeddingRow(Tensor table, int row) {
        double[] r = new double[table.dim(1)];
        for (int k = 0; k < r.length; k++) r[k] = table.get(row, k);
        return r;
    }

    /** Indices of the n largest entries, largest first. */
    static int[] topIndices(double[] z, int n) {
        return IntStream.range(0, z.length).boxed()
                .sorted((a, b) -> Double.compare(z[b], z[a]))
                .limit(n).mapToInt(Integer::intValue).toArray();
    }

    private void step(String title, String formula, String shape, String meaning, TraceTensor... shown) {
        steps.add(new TraceStep(next++, title, formula, shape, meaning, List.of(shown)));
    }

    private TraceTensor t(String key, String label, double[][] m, List<String> rows, List<String> cols) {
        values.put(key, m);
        return new TraceTensor(key, label, tensor(m), rows, cols);
    }
}
