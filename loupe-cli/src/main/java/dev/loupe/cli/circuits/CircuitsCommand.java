package dev.loupe.cli.circuits;

import dev.loupe.analysis.circuits.HeadCircuits;
import dev.loupe.analysis.circuits.HeadId;
import dev.loupe.cli.UsageException;
import dev.loupe.hub.Hub;
import dev.loupe.hub.HubCache;
import dev.loupe.model.Gpt;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tokens.Tokenizer;
import dev.loupe.tokens.Tokenizers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
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
                        + "and for the heads chosen with --layer/--head otherwise. Raw weights: LayerNorm is not folded.",
                ""},
        footer = {"%nExamples:",
                "  loupe circuits --model quickstart-model",
                "  loupe circuits --model gpt2 --layer 5 --head 1 --top 10",
                "  loupe circuits --model models/tiny --json > circuits.json"})
public final class CircuitsCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR|NAME",
            description = "Model directory (config.json + model.safetensors), or a fetched hub name such as gpt2.")
    String model;

    @Option(names = "--layer", paramLabel = "L", description = "Only this layer's heads (from 0) and the compositions they take part in.")
    Integer layer;

    @Option(names = "--head", paramLabel = "H", description = "Only this head of --layer (from 0).")
    Integer head;

    @Option(names = "--top", paramLabel = "N", defaultValue = "5",
            description = "Token pairs per circuit and strongest compositions per kind (default: ${DEFAULT-VALUE}; 0: none).")
    int top;

    @Option(names = "--json", description = "Print one JSON object instead of text (scores, pairs, composition, baseline).")
    boolean json;

    @Override
    public Integer call() {
        if (top < 0) throw new UsageException("--top must be ≥ 0, got " + top);
        if (head != null && layer == null) throw new UsageException("--head needs --layer (a head is named by layer and head)");
        Path dir = Hub.resolveModel(model, HubCache.fromEnvironment());
        ModelDirectory.LoadedModel m = ModelDirectory.read(dir);
        Gpt gpt = Gpt.fromWeights(m.config(), m.weights());
        int layers = m.config().nLayer(), heads = m.config().nHead();
        if (layer != null && (layer < 0 || layer >= layers)) {
            throw new UsageException("--layer " + layer + " is out of range: the model has layers 0 … " + (layers - 1));
        }
        if (head != null && (head < 0 || head >= heads)) {
            throw new UsageException("--head " + head + " is out of range: the model has heads 0 … " + (heads - 1) + " per layer");
        }
        Optional<Tokenizer> tokenizer = Tokenizers.load(dir);
        IntFunction<String> text = tokenizer.<IntFunction<String>>map(t -> t::tokenText).orElse(null);
        Predicate<HeadId> selected = h -> (layer == null || h.layer() == layer) && (head == null || h.head() == head);
        CircuitsReport report = CircuitsReport.compute(new HeadCircuits(gpt), selected, layer != null, top, text,
                new Progress(System.err));
        System.out.print(json ? CircuitsJson.render(report) + "\n"
                : CircuitsText.render(report, model, l -> layer == null || l == layer, top));
        return 0;
    }

    /** Progress lines on stderr, only once the run has taken more than two seconds (quiet for small models). */
    static final class Progress implements Consumer<String> {
        private final PrintStream err;
        private final long start = System.nanoTime();

        Progress(PrintStream err) {
            this.err = err;
        }

        @Override
        public void accept(String step) {
            double s = (System.nanoTime() - start) / 1e9;
            if (s > 2) err.printf(Locale.ROOT, "circuits: %5.1f s  %s%n", s, step);
        }
    }
}
