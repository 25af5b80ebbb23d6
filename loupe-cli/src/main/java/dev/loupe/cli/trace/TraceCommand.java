package dev.loupe.cli.trace;

import dev.loupe.cli.model.NonFiniteOption;
import dev.loupe.LoupeException;
import dev.loupe.analysis.trace.ForwardTrace;
import dev.loupe.analysis.trace.TinyModel;
import dev.loupe.analysis.trace.TraceStep;
import dev.loupe.analysis.trace.TrainingStepTrace;
import dev.loupe.cli.UsageException;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.AtomicFiles;
import dev.loupe.train.AdamW;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;

/** {@code loupe trace}: every matrix of one forward pass and one training step, numbered (SPEC M9, seed 001). */
@Command(name = "trace", mixinStandardHelpOptions = true,
        description = {
                "Walk through one forward pass and one training step of a tiny GPT, printing every intermediate "
                        + "matrix in order, one numbered step each, with its shape and formula:",
                "",
                "  1-2   embedding lookup W_E[t] and position vectors p_i: the residual x_0",
                "  then, per block:",
                "        LayerNorm (μ, σ, γ, β, the normalised rows): before attention",
                "          (pre-LN) or after the add (post-LN)",
                "        Q, K, V per head: what each token looks for, offers, and would send",
                "        scores Q·Kᵀ/√d_k, the causal mask (no peeking ahead), softmax",
                "          rows summing to 1",
                "        A·V: each row is the blend from that token's point of view",
                "        concatenate the heads, mix with W_O, add to the stream (residual add)",
                "        MLP: expand to d_mlp units, GELU/ReLU gate, recombine, add to the stream",
                "  then   the final LayerNorm, the logits, softmax and the greedy next token;",
                "         the loss -log p(y), its gradient p - onehot(y) checked against",
                "         finite differences,",
                "         the chain rule back to one weight, and one AdamW update of that weight.",
                "",
                "Every number is computed here in plain arithmetic and checked against Loupe's fast forward pass.",
                "Default: a built-in 8-word model (d_model 8, 2 heads, 1 block) on the prompt \"the cat sat\".",
                ""},
        footer = {"%nExamples:",
                "  loupe trace                                  # built-in model, pre-LN (GPT-2's layout)",
                "  loupe trace --post-ln                        # the same model with the 2017 post-LN layout",
                "  loupe trace --prompt \"a dog sat\" --target on --html trace.html",
                "  loupe trace --model runs/shakespeare --prompt \"hello\" --json > trace.json",
                "%nMatrices are abbreviated to 6 rows x 8 columns on the terminal (--json and --html have them all).",
                "Exit codes: 0 ok, 1 failure (bad model, unknown word), 2 bad usage."})
public final class TraceCommand implements Callable<Integer> {
    @Mixin
    NonFiniteOption nonFinite;


    @Option(names = "--model", paramLabel = "DIR",
            description = "A model directory with a tokenizer (default: the built-in 8-word model).")
    Path model;

    @Option(names = "--prompt", paramLabel = "TEXT",
            description = "The prompt (default: \"the cat sat\"; with a --model whose vocabulary cannot spell it, a few "
                    + "of the model's own vocabulary entries, named on stderr). The built-in model knows only the words "
                    + ". a cat dog mat on sat the, separated by spaces.")
    String prompt;

    @Option(names = "--target", paramLabel = "TOKEN",
            description = "The token that follows the prompt, the last position's training target (default: "
                    + "\"on\" for the built-in model, the model's own greedy prediction otherwise). Must be one token.")
    String target;

    @ArgGroup(exclusive = true)
    Layout layout;

    static final class Layout {
        @Option(names = "--pre-ln", description = "Built-in model with LayerNorm before attention and MLP (GPT-2; the default).")
        boolean pre;

        @Option(names = "--post-ln", description = "Built-in model with LayerNorm after each residual add (the 2017 Transformer).")
        boolean post;
    }

    @Option(names = "--lr", paramLabel = "LR", defaultValue = "0.01",
            description = "AdamW learning rate of the traced update (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--weight-decay", paramLabel = "WD", defaultValue = "0.1",
            description = "AdamW decoupled weight decay (default: ${DEFAULT-VALUE}; β₁ 0.9, β₂ 0.999, ε 1e-8).")
    double weightDecay;

    @Option(names = "--html", paramLabel = "FILE", description = "Also write the walkthrough as one self-contained HTML page with a heatmap of every matrix.")
    Path html;

    @Option(names = "--json", description = "Print the walkthrough as JSON (every matrix in full) instead of text.")
    boolean json;

    @Override
    public Integer call() {
        if (model != null && layout != null) {
            throw new UsageException("--pre-ln/--post-ln choose the built-in model's layout; a --model has its own ("
                    + "config.json)");
        }
        if (!(lr > 0)) throw new UsageException("--lr must be positive, got " + lr);
        if (!(weightDecay >= 0)) throw new UsageException("--weight-decay must not be negative, got " + weightDecay);
        if (html != null && !html.getFileName().toString().endsWith(".html")) {
            throw new UsageException("--html must name an .html file, got " + html);
        }

        Gpt gpt;
        int[] ids;
        IntFunction<String> name;
        String modelLine;
        OpenedModel opened = null;
        if (model == null) {
            GptConfig.Norm norm = layout != null && layout.post ? GptConfig.Norm.POST : GptConfig.Norm.PRE;
            gpt = TinyModel.create(norm);
            if (prompt == null) prompt = DefaultPrompt.TEXT;
            ids = TinyModel.encode(prompt);
            name = TinyModel::word;
            modelLine = TinyModel.describe(norm);
        } else {
            opened = OpenedModel.open(model, nonFinite.allowed());
            gpt = opened.gpt();
            if (gpt.config().moe() != null) {
                throw new UsageException("trace walks through one dense MLP per block; " + model + " has mixture-of-experts MLPs, "
                        + "which it does not trace (use 'loupe hooks', 'loupe attribute' or 'loupe ablate --experts')");
            }
            if (!gpt.config().attention().isSoftmax()) {
                throw new UsageException("trace walks through softmax attention step by step; " + model + " uses "
                        + gpt.config().attention().describe() + " attention, which it does not support (use 'loupe attention' or 'loupe hooks')");
            }
            if (prompt == null) {
                prompt = DefaultPrompt.forModel(opened.tokenizer(), gpt.config().nPositions());
                if (!prompt.equals(DefaultPrompt.TEXT)) {
                    System.err.println("loupe: no --prompt and this model's vocabulary cannot spell \"" + DefaultPrompt.TEXT
                            + "\": tracing \"" + prompt + "\" (some of its own vocabulary entries)");
                }
            }
            ids = opened.tokenizer().encode(prompt);
            name = opened::show;
            GptConfig c = gpt.config();
            modelLine = String.format(Locale.ROOT, "%s: %d blocks, d_model %d, %d heads (d_head %d), MLP %s %d, %s, vocabulary %d",
                    model, c.nLayer(), c.dModel(), c.nHead(), c.dHead(), c.mlp(), c.dMlp(),
                    switch (c.norm()) { case PRE -> "pre-LN"; case POST -> "post-LN"; case NONE -> "no LayerNorm"; }, c.vocabSize());
        }
        if (ids.length == 0) throw new LoupeException("--prompt is empty: give at least one token");

        ForwardTrace fwd = ForwardTrace.run(gpt, ids, name);
        int next = targetId(opened, fwd);
        int[] targets = new int[ids.length];
        System.arraycopy(ids, 1, targets, 0, ids.length - 1);
        targets[ids.length - 1] = next;
        AdamW.Settings adam = new AdamW.Settings(0.9, 0.999, 1e-8, weightDecay);
        TrainingStepTrace train = TrainingStepTrace.run(fwd, targets, adam, lr);
        List<TraceStep> steps = new ArrayList<>(fwd.steps());
        steps.addAll(train.steps());

        double agreement = agreement(gpt, ids, fwd);
        GptConfig.Norm norm = gpt.config().norm();
        List<String> header = new ArrayList<>();
        header.add("loupe trace: one forward pass and one training step, every number shown");
        header.add("model    " + modelLine);
        header.add("prompt   \"" + prompt + "\" → " + ids.length + " tokens: " + String.join(" | ", fwd.tokens()));
        header.add("target   the text continues with " + name.apply(next)
                + (target == null && model != null ? " (no --target: the model's own greedy prediction)" : "")
                + "; the training step asks each position for the next token");
        header.add("layout   " + switch (norm) {
            case PRE -> "pre-LN (GPT-2): x_mid = x + Attn(LN1(x)),  x_out = x_mid + MLP(LN2(x_mid))   [compare: --post-ln]";
            case POST -> "post-LN (2017): x_mid = LN1(x + Attn(x)),  x_out = LN2(x_mid + MLP(x_mid))   [compare: --pre-ln]";
            case NONE -> "no LayerNorm: x_mid = x + Attn(x),  x_out = x_mid + MLP(x_mid), W_U reads x_L";
        });
        header.add("notation rows are tokens (positions i = 0…T−1), vectors are rows and multiply matrices on the right: y = x·W + b");
        header.add(String.format(Locale.ROOT, "check    Loupe's fast forward pass gives the same logits to within %.1e (float32 vs this trace's double)", agreement));

        if (html != null) {
            AtomicFiles.writeString(html, TraceHtml.page("loupe trace: \"" + prompt + "\"", header, steps));
        }
        if (json) {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("model", modelLine);
            h.put("prompt", prompt);
            h.put("tokens", fwd.tokens());
            h.put("ids", ids);
            h.put("targets", targets);
            h.put("layout", switch (norm) { case PRE -> "pre-ln"; case POST -> "post-ln"; case NONE -> "none"; });
            h.put("predicted", name.apply(fwd.predicted()));
            h.put("loss", train.loss());
            h.put("max_abs_difference_from_model_logits", agreement);
            System.out.println(TraceJson.of(h, steps));
        } else {
            TraceText.print(System.out, header, steps);
            if (html != null) System.out.println("\nwrote " + html);
        }
        return 0;
    }

    /** The last position's target: --target (one token), "on" for the built-in model, else the greedy prediction. */
    private int targetId(OpenedModel opened, ForwardTrace fwd) {
        if (target == null) return opened == null ? TinyModel.encode("on")[0] : fwd.predicted();
        int[] t = opened == null ? TinyModel.encode(target) : opened.tokenizer().encode(target);
        if (t.length != 1) {
            throw new LoupeException("--target \"" + target + "\" is " + t.length + " tokens; give exactly one token"
                    + (opened != null && t.length > 1 ? " (GPT-2 words usually carry their leading space, e.g. \" on\")" : ""));
        }
        return t[0];
    }

    /** max |trace logits − model logits|: the trace's plain arithmetic against the model's own kernels. */
    private static double agreement(Gpt gpt, int[] ids, ForwardTrace fwd) {
        Tensor z = gpt.logits(ids, 1, ids.length).reshape(ids.length, gpt.config().vocabSize());
        double[][] mine = fwd.logits();
        double max = 0;
        for (int i = 0; i < mine.length; i++) {
            for (int j = 0; j < mine[0].length; j++) max = Math.max(max, Math.abs(mine[i][j] - z.get(i, j)));
        }
        return max;
    }
}
