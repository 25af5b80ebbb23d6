package dev.loupe.cli.size;

import dev.loupe.analysis.napkin.Architecture;
import dev.loupe.analysis.napkin.ComputeBudget;
import dev.loupe.analysis.napkin.ContextCost;
import dev.loupe.analysis.napkin.Flops;
import dev.loupe.analysis.napkin.MemoryEstimate;
import dev.loupe.analysis.napkin.ParameterCount;
import dev.loupe.analysis.napkin.ShapeAdvice;
import dev.loupe.cli.ModelRef;
import dev.loupe.cli.UsageException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code loupe size}: napkin math for a transformer's shape (SPEC M8, seed 000). */
@Command(name = "size", mixinStandardHelpOptions = true,
        description = {"Napkin math for a model's shape: parameters term by term, FLOPs per token, training "
                + "compute and time, Chinchilla tokens, KV cache and attention cost versus context, memory, "
                + "and shape advice.",
                "",
                "Give the shape (--vocab --d-model --layers --heads ...), a --preset, or --for-params to get shapes.",
                "",
                "FLOPs per token are 2 per weight a token multiplies with (the unembedding included) plus attention, two "
                        + "ways: Kaplan et al. (2020)'s count, 2·L·n_ctx·d (a causal token attends to n_ctx/2 keys on average), "
                        + "which the training compute and time use, and the full-context upper bound, 4·L·n_ctx·d (QKᵀ and A·V "
                        + "against all n_ctx keys). GPT-3 175B: 354.0 and 358.8 GFLOP per token forward."},
        footer = {"", "Examples:",
                "  loupe size --preset gpt2                 # 124,439,808 parameters, exactly",
                "  loupe size --vocab 50000 --d-model 2048 --layers 48 --heads 16   # the seed's ≈2.5B example",
                "  loupe size --for-params 2.5e9            # shapes near 2.5B parameters",
                "  loupe size --preset gpt2-xl --json --plot context.png",
                "",
                "A --model with linear or least-squares attention also gets its constant-size generation state,",
                "which replaces the KV cache."})
public final class SizeCommand implements Callable<Integer> {

    @Option(names = "--preset", paramLabel = "NAME", description = "gpt2, gpt2-medium, gpt2-large, gpt2-xl or gpt3-175b.")
    String preset;

    @Option(names = "--model", paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "A model directory or fetched hub name (gpt2): its config.json gives the shape.")
    ModelRef model;

    @Option(names = "--vocab", paramLabel = "V", description = "Vocabulary size.") Long vocab;
    @Option(names = "--d-model", paramLabel = "D", description = "Residual stream width d_model.") Long dModel;
    @Option(names = "--layers", paramLabel = "L", description = "Number of blocks.") Long layers;
    @Option(names = "--heads", paramLabel = "H", description = "Attention heads per layer.") Long heads;
    @Option(names = "--d-mlp", paramLabel = "F", description = "MLP hidden width (default: k·d_model).") Long dMlp;
    @Option(names = "--mlp-ratio", paramLabel = "K", description = "MLP expansion k, d_mlp = k·d_model (default 4).") Double mlpRatio;
    @Option(names = "--ctx", paramLabel = "N", description = "Context length n_ctx (default 1024).") Long ctx;
    @Option(names = "--untied", description = "Separate unembedding matrix (default: tied to the embedding).") boolean untied;
    @Option(names = "--attn-only", description = "No MLPs (attention-only model).") boolean attnOnly;
    @Option(names = "--swiglu", description = "SwiGLU MLP (three matrices instead of two).") boolean swiglu;
    @Option(names = "--no-positions", description = "No learned position table (sinusoidal or none).") boolean noPositions;
    @Option(names = "--experts", paramLabel = "E", description = "Mixture of experts: experts per layer (default 1).") Integer experts;
    @Option(names = "--top-k", paramLabel = "K", description = "Experts active per token (default 1).") Integer topK;

    @Option(names = "--tokens", paramLabel = "D", description = "Training token budget (default: Chinchilla, 20 per parameter).") Double tokens;
    @Option(names = "--flops-per-second", paramLabel = "R", description = "Sustained training rate in FLOP/s (default: this machine's rate measured by 'loupe bench kernels').") Double rate;
    @Option(names = "--batch", paramLabel = "B", defaultValue = "8", description = "Batch size for the memory estimate (default ${DEFAULT-VALUE}).") long batch;
    @Option(names = "--seq", paramLabel = "T", description = "Sequence length for the memory estimate (default: the context).") Long seq;

    @Option(names = "--for-params", paramLabel = "N", description = "Suggest dense shapes (d_model, layers, heads) near N parameters, e.g. 2.5e9.") Double forParams;
    @Option(names = "--json", description = "Print every figure as JSON (the exact total as \"params_total\").") boolean json;
    @Option(names = "--plot", paramLabel = "FILE", description = "Draw KV cache and attention FLOPs versus context to FILE (.png or .svg).") Path plot;

    @Override
    public Integer call() throws Exception {
        if (forParams != null) {
            if (forParams < 1e5 || forParams > 1e14) throw new UsageException("--for-params must be between 1e5 and 1e14");
            long v = vocab != null ? vocab : 50257;
            long n = ctx != null ? ctx : 2048;
            new SizeReport(null).printSuggestions(ShapeAdvice.forParams(forParams, v, n, 6), forParams, json);
            return 0;
        }
        Architecture a = architecture();
        ParameterCount p = ParameterCount.of(a);
        MeasuredRate.Rate measured = rate != null ? new MeasuredRate.Rate(rate, "given") : MeasuredRate.load().orElse(null);
        SizeReport report = new SizeReport(a, model != null ? dev.loupe.model.io.ModelDirectory.readConfig(model.dir()).attention()
                : dev.loupe.model.AttentionKind.SOFTMAX);
        long t = seq != null ? seq : a.context();
        if (t <= 0 || batch <= 0) throw new UsageException("--batch and --seq must be positive");
        double budget = tokens != null ? tokens : ComputeBudget.chinchillaTokens(p.total());
        if (budget <= 0) throw new UsageException("--tokens must be positive");
        Flops kaplan = Flops.kaplan(p), bound = Flops.fullContext(p);
        if (json) {
            report.printJson(p, kaplan, bound, budget, measured, batch, t);
        } else {
            report.printText(p, kaplan, bound, budget, measured, batch, t);
        }
        if (plot != null) {
            ContextPlot.write(plot, a, ContextCost.table(a, 2));
            if (!json) System.out.println("\nPicture written to " + plot);
        }
        return 0;
    }

    private Architecture architecture() {
        if (model != null) {
            if (preset != null || vocab != null || dModel != null || layers != null || heads != null) {
                throw new UsageException("--model cannot be combined with --preset or --vocab/--d-model/--layers/--heads");
            }
            return Architecture.of(model.displayName(), dev.loupe.model.io.ModelDirectory.readConfig(model.dir()));
        }
        if (preset != null) {
            if (vocab != null || dModel != null || layers != null || heads != null) {
                throw new UsageException("--preset cannot be combined with --vocab/--d-model/--layers/--heads");
            }
            Architecture base = Architecture.preset(preset);
            boolean changed = ctx != null || untied || attnOnly || swiglu || experts != null || dMlp != null || mlpRatio != null;
            return changed ? build(base.name(), base.vocab(), base.dModel(), base.layers(), base.heads(), base.context()) : base;
        }
        if (vocab == null || dModel == null || layers == null || heads == null) {
            throw new UsageException("give --preset NAME, --model DIR, or all of --vocab --d-model --layers --heads (or --for-params N)");
        }
        return build("custom", vocab, dModel, layers, heads, 1024);
    }

    private Architecture build(String name, long v, long d, long l, long h, long defaultCtx) {
        if (dMlp != null && mlpRatio != null) throw new UsageException("give --d-mlp or --mlp-ratio, not both");
        if (attnOnly && (swiglu || experts != null)) throw new UsageException("--attn-only has no MLP: drop --swiglu/--experts");
        if (topK != null && experts == null) throw new UsageException("--top-k needs --experts");
        long f = dMlp != null ? dMlp : Math.round((mlpRatio != null ? mlpRatio : 4.0) * d);
        return new Architecture(name, v, ctx != null ? ctx : defaultCtx, d, l, h, attnOnly ? 0 : f, !untied, attnOnly,
                swiglu, !noPositions, experts != null ? experts : 1, topK != null ? topK : 1);
    }
}
