package dev.loupe.cli.circuits;

import dev.loupe.cli.ModelRef;
import dev.loupe.cli.model.NonFiniteOption;
import dev.loupe.analysis.circuits.HeadCircuits;
import dev.loupe.analysis.circuits.HeadId;
import dev.loupe.analysis.transforms.LayerNormFolding;
import dev.loupe.cli.QuietProgress;
import dev.loupe.cli.UsageException;
import dev.loupe.model.Gpt;
import dev.loupe.model.GptConfig;
import dev.loupe.cli.model.AnalysisWeightsOption;
import dev.loupe.cli.model.LoadedGpt;
import dev.loupe.model.WeightFormat;
import dev.loupe.tensor.io.AtomicFiles;
import dev.loupe.tokens.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.IntFunction;
import java.util.function.Predicate;

/** {@code loupe circuits}: the per-head QK/OV circuits and composition scores of a model's weights. */
@Command(name = "circuits", mixinStandardHelpOptions = true,
        description = {
                "Read a model's attention heads from their weights alone, as in \"A Mathematical Framework for Transformer "
                        + "Circuits\" (Elhage et al., 2021). Per head: the copying score of its full OV circuit W_E·W_V·W_O·W_U "
                        + "(does attending to a token raise that token's logit?), the matching score of its full QK circuit "
                        + "W_E·W_Q·W_Kᵀ·W_Eᵀ (do tokens attend to themselves?), and the token pairs with the largest entries of each. "
                        + "Between heads: the Q-, K- and V-composition scores of every head with every head of a later layer, next to "
                        + "the score random matrices of the same shapes get, so you can tell which are above chance.",
                "The vocab × vocab circuits are never materialised (they stay factored through d_head). Token pairs need a "
                        + "scan of them, about 4·vocab²·d_head flops per head: they are shown for all heads on small vocabularies, "
                        + "and for the heads chosen with --layer/--head otherwise. Raw weights unless --fold-ln folds each block's "
                        + "LayerNorm gain and shift into the weights that read it.",
                "Small models get their paper readings too: a 0-layer model its bigram table W_E·W_U (strongest token → next "
                        + "token pairs), a 1-layer model its skip-trigrams ([source] … [destination] → [out], per head, from the QK "
                        + "and OV circuits), and with --prompt an attention-only model the path expansion of its logits on that text: "
                        + "the size of the direct path, of every head and of every virtual head (pair of heads in different layers).",
                ""},
        footer = {"%nExamples:",
                "  loupe circuits --model runs/quickstart/attn-only-2l      # after 'loupe quickstart'",
                "  loupe circuits --model runs/quickstart/attn-only-2l --prompt 'abcabc' --html circuits.html",
                "  loupe circuits --model runs/shakespeare --json > circuits.json   # after the README's 'loupe train'",
                "  loupe circuits --model gpt2 --layer 5 --head 1 --top 10         # after 'loupe fetch gpt2'",
                "  loupe circuits --model gpt2 --weights bf16 --top 0              # the bf16 model's scores, half the memory"})
public final class CircuitsCommand implements Callable<Integer> {
    @Mixin
    NonFiniteOption nonFinite;

    @Option(names = "--model", required = true, paramLabel = "DIR|NAME",
            description = "Model directory (config.json + model.safetensors), or a fetched hub name such as gpt2.")
    String model;
    @picocli.CommandLine.Mixin
    dev.loupe.cli.lora.AdapterOption adapter;
    @Mixin
    AnalysisWeightsOption weights;

    @Option(names = "--layer", paramLabel = "L", description = "Only this layer's heads (from 0) and the compositions they take part in.")
    Integer layer;

    @Option(names = "--head", paramLabel = "H", description = "Only this head of --layer (from 0).")
    Integer head;

    @Option(names = "--top", paramLabel = "N", defaultValue = "5",
            description = "Token pairs per circuit and strongest compositions per kind (default: ${DEFAULT-VALUE}; 0: none).")
    int top;

    @Option(names = "--json", description = "Print one JSON object instead of text (scores, pairs, composition, baseline).")
    boolean json;

    @Option(names = "--html", paramLabel = "FILE",
            description = "Also write the report as an HTML page: head scores, composition heatmaps against the baseline, path-expansion bars.")
    Path html;

    @Option(names = "--fold-ln", description = "Fold each block's LayerNorm gain and shift into W_Q, W_K, W_V and W_in first (pre-LN models).")
    boolean foldLn;

    @Option(names = "--prompt", paramLabel = "TEXT",
            description = "Expand the logits on this text into paths (attention-only pre-LN models) and show each path's size.")
    String prompt;

    @Override
    public Integer call() {
        if (top < 0) throw new UsageException("--top must be ≥ 0, got " + top);
        if (head != null && layer == null) throw new UsageException("--head needs --layer (a head is named by layer and head)");
        WeightFormat format = weights.format();
        if (foldLn && format == WeightFormat.BF16) {
            throw new UsageException("--fold-ln rewrites the weights in float32: it cannot be combined with --weights bf16");
        }
        LoadedGpt loaded = LoadedGpt.open(new ModelRef(model), nonFinite.allowed(), adapter, format);
        Path dir = loaded.dir();
        Gpt gpt = loaded.model();
        GptConfig config = gpt.config();
        if (foldLn) {
            if (config.norm() != GptConfig.Norm.PRE) throw new UsageException("--fold-ln needs a pre-LN model; this one is "
                    + (config.norm() == GptConfig.Norm.POST ? "post-LN" : "without LayerNorm (norm none)"));
            gpt = LayerNormFolding.fold(gpt).model();
        }
        if (prompt != null && (config.mlp() != GptConfig.Mlp.NONE || config.norm() != GptConfig.Norm.PRE)) {
            throw new UsageException("--prompt (path expansion) needs an attention-only pre-LN model; this one has mlp "
                    + config.mlp() + ", norm " + config.norm());
        }
        int layers = config.nLayer(), heads = config.nHead();
        if (layer != null && (layer < 0 || layer >= layers)) {
            throw new UsageException("--layer " + layer + " is out of range: the model has layers 0 … " + (layers - 1));
        }
        if (head != null && (head < 0 || head >= heads)) {
            throw new UsageException("--head " + head + " is out of range: the model has heads 0 … " + (heads - 1) + " per layer");
        }
        Optional<Tokenizer> tokenizer = loaded.tokenizer();
        IntFunction<String> text = tokenizer.<IntFunction<String>>map(t -> t::tokenText).orElse(null);
        Predicate<HeadId> selected = h -> (layer == null || h.layer() == layer) && (head == null || h.head() == head);
        CircuitsReport report = CircuitsReport.compute(new HeadCircuits(gpt), selected, layer != null, top, text,
                new QuietProgress(System.err, "circuits"));
        int[] ids = null;
        if (prompt != null) {
            if (tokenizer.isEmpty()) throw new UsageException("--prompt needs the model's tokenizer, and " + dir + " has none");
            ids = tokenizer.get().encode(prompt);
            if (ids.length == 0) throw new UsageException("--prompt encodes to no tokens");
            if (ids.length > config.nPositions()) {
                throw new UsageException("--prompt is " + ids.length + " tokens, the model's context is " + config.nPositions());
            }
        }
        CircuitsReadings readings = CircuitsReadings.compute(report.circuits(), selected, report.pairsScanned(), top, ids);
        if (html != null) AtomicFiles.writeString(html, CircuitsHtml.render(report, readings, model));
        System.out.print(json ? CircuitsJson.render(report, readings, foldLn, text) + "\n"
                : CircuitsText.render(report, model, l -> layer == null || l == layer, top, foldLn)
                + CircuitsText.readings(readings, text));
        if (html != null && !json) System.out.println("wrote " + html);
        return 0;
    }
}
