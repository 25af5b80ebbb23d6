package dev.loupe.cli.size;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.napkin.Architecture;
import dev.loupe.analysis.napkin.ComputeBudget;
import dev.loupe.analysis.napkin.ContextCost;
import dev.loupe.analysis.napkin.Flops;
import dev.loupe.analysis.napkin.MemoryEstimate;
import dev.loupe.analysis.napkin.ParameterCount;
import dev.loupe.analysis.napkin.ShapeAdvice;
import dev.loupe.model.AttentionKind;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/** Renders the napkin math of one architecture as text for people or as JSON for programs. */
final class SizeReport {
    private final Architecture a;
    /** The attention kind; linear and least squares replace the KV cache by a constant-size state. */
    private final AttentionKind kind;
    private final PrintStream out = System.out;

    SizeReport(Architecture a) {
        this(a, AttentionKind.SOFTMAX);
    }

    SizeReport(Architecture a, AttentionKind kind) {
        this.a = a;
        this.kind = kind;
    }

    /** Numbers of generation state of a recurrent-attention model, all layers (each a float64). */
    private long stateNumbers() {
        return a.layers() * kind.stateNumbersPerLayer((int) a.dModel(), (int) a.heads(), 0);
    }

    void printText(ParameterCount p, Flops f, Flops bound, double tokens, MeasuredRate.Rate rate, long batch, long seq) {
        out.printf(Locale.ROOT, "%s: V=%d  n_ctx=%d  d_model=%d  layers=%d  heads=%d  d_mlp=%s%s%s%s%n", a.name(), a.vocab(), a.context(),
                a.dModel(), a.layers(), a.heads(), a.attnOnly() ? "none" : Long.toString(a.dMlp()), a.tied() ? "  tied" : "  untied",
                a.swiglu() ? "  swiglu" : "", a.experts() > 1 ? "  experts=" + a.experts() + " top-" + a.topK() : "");
        out.println();
        out.println("Parameters");
        row("embedding W_E (V·d)", p.embedding());
        row("positions W_pos (n_ctx·d)", p.positions());
        row("attention per layer (4d² + 4d)", p.attentionPerLayer());
        row("MLP per layer" + (a.experts() > 1 ? " (all experts)" : ""), p.mlpPerLayer());
        if (p.routerPerLayer() > 0) row("router per layer (d·E)", p.routerPerLayer());
        if (p.gatePerLayer() > 0) {
            row("highway gates per layer (" + a.gatedSublayers() + " × (d·w + w), w = " + a.gateWidth() + ")", p.gatePerLayer());
        }
        row("LayerNorms per layer", p.layerNormPerLayer());
        row("all " + a.layers() + " layers", a.layers() * p.perLayer());
        row("final LayerNorm", p.finalLayerNorm());
        row("unembedding W_U" + (a.tied() ? " (tied to W_E)" : ""), p.unembedding());
        out.printf(Locale.ROOT, "  %-38s %16s  (%s)%n", "total", Units.exact(p.total()), Units.count(p.total()));
        if (a.experts() > 1) out.printf(Locale.ROOT, "  %-38s %16s  (%s)%n", "active per token", Units.exact(p.activePerToken()), Units.count(p.activePerToken()));
        out.printf(Locale.ROOT, "  seed's approximation V·d + L·(4+2k)·d² = %s (k = %.2f; %+.2f%% from exact)%n",
                Units.count(p.seedApproximation()), a.attnOnly() ? 0 : a.mlpRatio(), 100 * (p.seedApproximation() / p.total() - 1));
        out.println();
        out.println("FLOPs per token (context n_ctx = " + a.context() + ")");
        out.printf(Locale.ROOT, "  forward, Kaplan et al. 2020   %s  = 2·%s matmul weights + %s attention (2·L·n_ctx·d: causal, "
                + "n_ctx/2 keys on average)%n", Units.flops(f.forwardPerToken()), Units.count(f.matmulParams()),
                Units.flops(f.attentionPerToken()));
        out.printf(Locale.ROOT, "  forward, full-context bound   %s  = 2·%s matmul weights + %s attention (4·L·n_ctx·d: every "
                + "token against all n_ctx keys)%n", Units.flops(bound.forwardPerToken()), Units.count(bound.matmulParams()),
                Units.flops(bound.attentionPerToken()));
        out.printf(Locale.ROOT, "  training, Kaplan et al. 2020  %s  (3 × forward ≈ 6N + attention; bound %s)%n",
                Units.flops(f.trainingPerToken()), Units.flops(bound.trainingPerToken()));
        out.println();
        double total = ComputeBudget.trainingFlops(f.trainingPerToken(), tokens);
        double chin = ComputeBudget.chinchillaTokens(p.total());
        out.printf(Locale.ROOT, "Training on %s tokens%s: %s%n", Units.count(tokens),
                Math.abs(tokens - chin) < 1 ? " (Chinchilla-optimal: 20 per parameter)" : " (Chinchilla-optimal would be " + Units.count(chin) + ")",
                Units.flops(total));
        if (rate != null) {
            out.printf(Locale.ROOT, "  at %s/s (%s): %s%n", Units.flops(rate.flopsPerSecond()),
                    rate.backend().equals("given") ? "--flops-per-second" : "this machine's matmul rate, " + rate.backend() + " backend",
                    Units.duration(ComputeBudget.seconds(total, rate.flopsPerSecond())));
        } else {
            out.println("  (run 'loupe bench kernels' once, or give --flops-per-second, to turn this into time)");
        }
        out.println("  compute split (Chinchilla: grow parameters and tokens together, each by √factor):");
        out.printf(Locale.ROOT, "    %-9s %-8s %-8s %-12s %-12s%n", "compute", "params", "tokens", "→ params", "→ tokens");
        for (ComputeBudget.Split s : ComputeBudget.splits(p.total())) {
            out.printf(Locale.ROOT, "    %-9s %-8s %-8s %-12s %-12s%n", fmt(s.computeFactor()) + "×", fmt(s.paramFactor()) + "×",
                    fmt(s.tokenFactor()) + "×", Units.count(s.params()), Units.count(s.tokens()));
        }
        out.println();
        out.println("Context length (one sequence; KV cache = 2·L·n·d numbers, 16-bit; attention ≈ 2·L·n²·d FLOPs)"
                + (a.context() < 1024 ? ": the lengths this model can run, up to its n_ctx = " + a.context() : ""));
        out.printf(Locale.ROOT, "  %8s %12s %16s %18s%n", "n", "KV cache", "attn FLOPs/step", "attn FLOPs/seq");
        for (ContextCost c : ContextCost.table(a, 2)) {
            out.printf(Locale.ROOT, "  %8s %12s %16s %18s%n", c.context() >= 1024 ? (c.context() / 1024) + "k" : Long.toString(c.context()), Units.bytes(c.kvCacheBytes()),
                    Units.flops(c.attentionFlopsPerStep()), Units.flops(c.attentionFlopsPerSequence()));
        }
        if (kind.recurrent()) {
            long dh = a.dModel() / a.heads();
            out.printf(Locale.ROOT, "  %s attention keeps NO KV cache: a constant-size state per head (%s), %s numbers"
                            + " (%s in float64) at every context length; a decoded token costs O(d_head²) ≈ %s FLOPs per head"
                            + " instead of the KV cache and attention FLOPs above%n", kind.kindName(),
                    kind.kind() == AttentionKind.Kind.LINEAR ? "S [d_head, d_head] and z [d_head]" : "H⁻¹ and G [d_head, d_head], float64",
                    Units.exact(stateNumbers()), Units.bytes(8.0 * stateNumbers()), Units.count((kind.kind() == AttentionKind.Kind.LINEAR ? 4.0 : 10.0) * dh * dh));
        }
        out.println();
        out.printf(Locale.ROOT, "Memory (batch %d × %d tokens)%n", batch, seq);
        out.printf(Locale.ROOT, "  %-26s %12s %12s %12s%n", "", "fp32", "fp16/bf16", "int8");
        MemoryEstimate m32 = MemoryEstimate.of(p, batch, seq, 4), m16 = MemoryEstimate.of(p, batch, seq, 2), m8 = MemoryEstimate.of(p, batch, seq, 1);
        mem("weights", m32.weights(), m16.weights(), m8.weights());
        mem("gradients", m32.gradients(), m16.gradients(), Double.NaN);
        mem("AdamW moments (m, v)", m32.adamMoments(), m16.adamMoments(), Double.NaN);
        mem("activations (Korthikanti)", m32.activations(), m16.activations(), Double.NaN);
        mem("training total", m32.training(), m16.training(), Double.NaN);
        mem("KV cache", m32.kvCache(), m16.kvCache(), m8.kvCache());
        mem("inference total", m32.inference(), m16.inference(), m8.inference());
        out.println();
        List<String> advice = ShapeAdvice.remarks(a);
        out.println("Shape advice");
        out.printf(Locale.ROOT, "  head_dim = d_model / heads = %s%n", a.dModel() % a.heads() == 0 ? Long.toString(a.dModel() / a.heads()) : String.format(Locale.ROOT, "%.2f", a.headDim()));
        if (advice.isEmpty() && ShapeAdvice.isToy(a)) {
            out.println("  a toy-sized model (d_model under " + ShapeAdvice.TOY_D_MODEL + "): the conventions of large models (head_dim 64–128,"
                    + " sizes multiples of 64) make no difference at this size");
        } else if (advice.isEmpty()) {
            out.println("  the shape is tile-friendly: head_dim in 64–128, sizes multiples of 64");
        }
        advice.forEach(s -> out.println("  - " + s));
    }

    void printJson(ParameterCount p, Flops f, Flops bound, double tokens, MeasuredRate.Rate rate, long batch, long seq) throws Exception {
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = om.createObjectNode();
        root.put("params_total", p.total());
        ObjectNode arch = root.putObject("architecture");
        arch.put("name", a.name()).put("vocab", a.vocab()).put("context", a.context()).put("d_model", a.dModel())
                .put("layers", a.layers()).put("heads", a.heads()).put("d_mlp", a.dMlp()).put("tied", a.tied())
                .put("attn_only", a.attnOnly()).put("swiglu", a.swiglu()).put("learned_positions", a.learnedPositions())
                .put("experts", a.experts()).put("top_k", a.topK());
        ObjectNode params = root.putObject("params");
        params.put("embedding", p.embedding()).put("positions", p.positions()).put("attention_per_layer", p.attentionPerLayer())
                .put("mlp_per_layer", p.mlpPerLayer()).put("router_per_layer", p.routerPerLayer()).put("highway_gate_per_layer", p.gatePerLayer())
                .put("layernorm_per_layer", p.layerNormPerLayer()).put("per_layer", p.perLayer())
                .put("final_layernorm", p.finalLayerNorm()).put("unembedding", p.unembedding()).put("total", p.total())
                .put("non_embedding", p.nonEmbedding()).put("active_per_token", p.activePerToken())
                .put("seed_approximation", p.seedApproximation());
        ObjectNode flops = root.putObject("flops_per_token");
        flops.put("forward", f.forwardPerToken()).put("training", f.trainingPerToken()).put("attention_forward", f.attentionPerToken())
                .put("matmul_params", f.matmulParams()).put("context", a.context()).put("attention_count", "kaplan2020: 2*L*n_ctx*d")
                .put("forward_full_context", bound.forwardPerToken()).put("training_full_context", bound.trainingPerToken())
                .put("attention_forward_full_context", bound.attentionPerToken());
        ObjectNode train = root.putObject("training");
        double total = ComputeBudget.trainingFlops(f.trainingPerToken(), tokens);
        train.put("tokens", tokens).put("chinchilla_tokens", ComputeBudget.chinchillaTokens(p.total())).put("flops", total);
        if (rate != null) train.put("flops_per_second", rate.flopsPerSecond()).put("rate_source", rate.backend())
                .put("seconds", ComputeBudget.seconds(total, rate.flopsPerSecond()));
        ArrayNode splits = train.putArray("compute_split");
        for (ComputeBudget.Split s : ComputeBudget.splits(p.total())) {
            splits.addObject().put("compute_factor", s.computeFactor()).put("param_factor", s.paramFactor())
                    .put("token_factor", s.tokenFactor()).put("params", s.params()).put("tokens", s.tokens());
        }
        ArrayNode ctx = root.putArray("context");
        for (ContextCost c : ContextCost.table(a, 2)) {
            ctx.addObject().put("tokens", c.context()).put("kv_cache_numbers", c.kvCacheNumbers())
                    .put("kv_cache_bytes_fp16", c.kvCacheBytes()).put("kv_cache_bytes_fp32", 2 * c.kvCacheBytes())
                    .put("attention_flops_per_step", c.attentionFlopsPerStep())
                    .put("attention_flops_per_sequence", c.attentionFlopsPerSequence());
        }
        if (kind.recurrent()) {
            root.putObject("attention").put("kind", kind.kindName()).put("kv_cache", false)
                    .put("state_numbers", stateNumbers()).put("state_bytes_float64", 8 * stateNumbers());
        }
        ObjectNode mem = root.putObject("memory");
        mem.put("batch", batch).put("seq", seq);
        for (int bytes : new int[] {4, 2, 1}) {
            MemoryEstimate m = MemoryEstimate.of(p, batch, seq, bytes);
            mem.putObject(bytes == 4 ? "fp32" : bytes == 2 ? "fp16" : "int8")
                    .put("weights", m.weights()).put("gradients", m.gradients()).put("adam_moments", m.adamMoments())
                    .put("activations", m.activations()).put("training_total", m.training())
                    .put("kv_cache", m.kvCache()).put("inference_total", m.inference());
        }
        ObjectNode adv = root.putObject("advice");
        adv.put("head_dim", a.headDim());
        ArrayNode remarks = adv.putArray("remarks");
        ShapeAdvice.remarks(a).forEach(remarks::add);
        out.println(om.writeValueAsString(root));
    }

    void printSuggestions(List<ShapeAdvice.Suggestion> list, double target, boolean json) throws Exception {
        if (json) {
            ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            ObjectNode root = om.createObjectNode();
            root.put("target_params", target);
            ArrayNode arr = root.putArray("suggestions");
            for (ShapeAdvice.Suggestion s : list) {
                arr.addObject().put("d_model", s.dModel()).put("layers", s.layers()).put("heads", s.heads())
                        .put("head_dim", s.dModel() / s.heads()).put("params_total", s.params());
            }
            out.println(om.writeValueAsString(root));
            return;
        }
        out.printf(Locale.ROOT, "Dense GPT-2-style shapes near %s parameters (k = 4, tied, d a multiple of 128, d/L in 32–128):%n", Units.count(target));
        out.printf(Locale.ROOT, "  %8s %7s %6s %9s %16s %9s%n", "d_model", "layers", "heads", "head_dim", "params", "vs target");
        for (ShapeAdvice.Suggestion s : list) {
            out.printf(Locale.ROOT, "  %8d %7d %6d %9d %16s %+8.1f%%%n", s.dModel(), s.layers(), s.heads(), s.dModel() / s.heads(),
                    Units.exact(s.params()), 100 * (s.params() / target - 1));
        }
        out.println("Deeper beats wider at equal size until training gets unstable (seed 000): prefer the rows with more layers.");
    }

    private void row(String label, long n) {
        out.printf(Locale.ROOT, "  %-38s %16s%n", label, Units.exact(n));
    }

    private void mem(String label, double b32, double b16, double b8) {
        out.printf(Locale.ROOT, "  %-26s %12s %12s %12s%n", label, Units.bytes(b32), Units.bytes(b16), Double.isNaN(b8) ? "-" : Units.bytes(b8));
    }

    private static String fmt(double x) {
        return x == Math.rint(x) ? String.format(Locale.ROOT, "%.0f", x) : String.format(Locale.ROOT, "%.1f", x);
    }
}
