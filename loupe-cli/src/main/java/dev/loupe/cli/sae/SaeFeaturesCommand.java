package dev.loupe.cli.sae;

import dev.loupe.LoupeException;
import dev.loupe.cli.ModelRef;
import dev.loupe.cli.QuietProgress;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.model.LoadedGpt;
import dev.loupe.sae.DashboardUnits;
import dev.loupe.sae.FeatureDashboard;
import dev.loupe.sae.FeatureDashboardHtml;
import dev.loupe.sae.SaeFiles;
import dev.loupe.sae.SaeUnits;
import dev.loupe.sae.SparseAutoencoder;
import dev.loupe.sae.TokenWindows;
import dev.loupe.tensor.io.AtomicFiles;
import dev.loupe.tokens.TokenFile;
import dev.loupe.tokens.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code loupe sae features}: a feature browser (SAE-Vis style) of an SAE over a corpus. */
@Command(name = "features", mixinStandardHelpOptions = true,
        description = {"Write a feature browser for a sparse autoencoder, in the style of SAE-Vis and Neuronpedia: one "
                + "self-contained HTML page (features.html) and the same data as JSON (features.json).",
                "",
                "The model runs over the first --tokens tokens of --data, cut into consecutive windows of --context-size "
                + "tokens, each its own sequence; the SAE encodes the activation at its hook. For every feature: its "
                + "density (share of tokens where it is active, activation > 0), a histogram of its activations, its "
                + "top-activating contexts and examples sampled from bands of strength (SAE-Vis's intervals: (b−1)/B to "
                + "b/B of its maximum), every token coloured by the feature's activation, and its logit effects: "
                + "W_dec[i] mapped into the residual stream (through W_out for mlp.hook_post, W_O for attn.hook_z), "
                + "centred, times ln_final's γ, divided by ln_final's mean scale over the tokens, times W_U — the "
                + "tokens it raises and lowers most through the direct path, as TransformerLens's direct logit "
                + "attribution reads a component.",
                "",
                "The page lists every feature (sort by a column, search by index or token) and opens one with a "
                + "click or as features.html#INDEX.",
                ""},
        footer = {"%nExamples:",
                "  loupe reproduce monosemanticity --out runs/mono",
                "  loupe sae features --model runs/mono/model --sae runs/mono/sae \\",
                "      --data runs/mono/heldout.txt --out runs/mono-features",
                "  loupe sae features --model runs/mono/model --sae runs/mono/sae \\",
                "      --data runs/mono/heldout.txt --out runs/f3 --features 3,17,250",
                "%nData: a .bin token file (llm.c or nanoGPT) or UTF-8 text encoded with the model's tokenizer.",
                "Exit codes: 0 ok, 1 failure (bad model, SAE or data), 2 bad usage."})
public final class SaeFeaturesCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "The model the SAE belongs to (directory with a tokenizer, or a name fetched with 'loupe fetch').")
    ModelRef model;

    @picocli.CommandLine.Mixin
    dev.loupe.cli.model.AnalysisWeightsOption weights;

    @Option(names = "--sae", required = true, paramLabel = "DIR", description = "SAELens directory: cfg.json + sae_weights.safetensors.")
    Path sae;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Text or .bin tokens to read the features on.")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory: features.html and features.json.")
    Path out;

    @Option(names = "--tokens", defaultValue = "32768", paramLabel = "N", description = "Tokens read (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--context-size", paramLabel = "T",
            description = "Tokens per window (default: the SAE's metadata.context_size, at most the model's context, else 128).")
    Integer contextSize;

    @Option(names = "--features", paramLabel = "I", split = ",",
            description = "Build full pages only for these features (default: all; the list then shows every feature's density).")
    int[] features;

    @Option(names = "--examples", defaultValue = "10", paramLabel = "N", description = "Top-activating contexts per feature (default: ${DEFAULT-VALUE}).")
    int examples;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of the band sampling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        if (tokens < 1) throw new UsageException("--tokens must be positive, got " + tokens);
        if (examples < 1) throw new UsageException("--examples must be positive, got " + examples);
        LoadedGpt m = LoadedGpt.open(model, false, null, weights.format());
        SparseAutoencoder s = SaeFiles.load(sae);
        DashboardUnits units = new SaeUnits(m.model(), s);
        int positions = m.model().config().nPositions();
        Integer meta = s.config().metadata().contextSize();
        int t = contextSize != null ? contextSize : Math.min(positions, meta != null ? meta : 128);
        if (t < 1 || t > positions) throw new UsageException("--context-size must be in [1, " + positions + "], got " + t);
        Set<Integer> detailed = null;
        if (features != null) {
            detailed = new HashSet<>();
            for (int f : features) {
                if (f < 0 || f >= s.dSae()) throw new UsageException("--features: " + f + " is not in [0, " + s.dSae() + ")");
                detailed.add(f);
            }
        }
        Tokenizer tok = m.requireTokenizer("--data");
        int[] ids = read(data, tok, tokens);
        if (ids.length < t) throw new LoupeException(data + " holds " + ids.length + " tokens, fewer than one window of " + t);
        TokenWindows windows = new TokenWindows(Arrays.copyOf(ids, Math.min(ids.length, tokens)), t, Math.max(1, 2048 / t));
        var d = FeatureDashboard.defaults(examples, seed);
        System.err.printf(Locale.ROOT, "sae features: %d features at %s over %d tokens (windows of %d)%n", s.dSae(), units.hookName(),
                windows.usedTokens(), t);
        FeatureDashboard dash = FeatureDashboard.build(sae.toString(), m.model(), units, windows, detailed, d, tok::tokenText,
                new QuietProgress(System.err, "sae features"));
        String json = dash.json().toString();
        AtomicFiles.writeString(out.resolve("features.json"), json + "\n");
        AtomicFiles.writeString(out.resolve("features.html"), FeatureDashboardHtml.page(dash));
        System.out.println("wrote " + out.resolve("features.html") + " and " + out.resolve("features.json"));
        return 0;
    }

    /** The first tokens of a .bin token file, or of a text file's first characters encoded with the tokenizer. */
    static int[] read(Path file, Tokenizer tok, int tokens) {
        if (!Files.isRegularFile(file)) throw new LoupeException(file + ": no such file");
        if (file.getFileName().toString().endsWith(".bin")) return TokenFile.readAll(file);
        char[] buf = new char[(int) Math.min(Integer.MAX_VALUE - 16, 16L * tokens + 1024)];   // ~4 characters per BPE token, with room
        int n = 0;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int k;
            while (n < buf.length && (k = r.read(buf, n, buf.length - n)) > 0) n += k;
        } catch (IOException e) {
            throw new LoupeException("cannot read " + file + " as UTF-8 text: " + e.getMessage());
        }
        return tok.encode(new String(buf, 0, n));
    }
}
