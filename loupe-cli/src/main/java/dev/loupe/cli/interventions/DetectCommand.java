package dev.loupe.cli.interventions;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.analysis.detectors.HeadDetectors;
import dev.loupe.analysis.detectors.Probe;
import dev.loupe.analysis.detectors.HeadScores;
import dev.loupe.cli.ModelRef;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.model.LoadedGpt;
import dev.loupe.cli.model.NonFiniteOption;
import dev.loupe.experiments.report.Heatmap;
import dev.loupe.model.GptConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code loupe detect}: previous-token, duplicate-token and induction scores of every head. */
@Command(name = "detect", mixinStandardHelpOptions = true,
        description = {
                "Head detectors (Olsson et al. 2022; TransformerLens's detect_head): the previous-token, duplicate-token and "
                        + "induction score of every head, each in [0, 1], on a stated probe: --batch sequences of --half random "
                        + "tokens repeated once ([r1 … rn r1 … rn]), drawn with --seed.",
                "previous-token: attention from i to i − 1. duplicate-token: attention from a repeated token to its earlier "
                        + "occurrences. induction: attention to the token after the earlier occurrence (A B … A → B).",
                ""},
        footer = {"%nExamples:",
                "  loupe detect --model runs/quickstart/attn-only-2l",
                "  loupe detect --model runs/shakespeare --batch 16 --half 20 --out detect",
                "%nWith --out DIR: DIR/detect.json, DIR/detect_previous_token.npy, detect_duplicate_token.npy and",
                "detect_induction.npy ([n_layer, n_head]), DIR/detect.html (heatmaps with colour bars).",
                "Exit codes: 0 ok, 1 failure (bad model), 2 bad usage."})
public final class DetectCommand implements Callable<Integer> {
    @Mixin
    NonFiniteOption nonFinite;

    @Option(names = "--model", required = true, paramLabel = "DIR|NAME", converter = ModelRef.Converter.class,
            description = "Model directory, or a hub name fetched with 'loupe fetch' (no tokenizer needed).")
    ModelRef model;

    @Option(names = "--batch", defaultValue = "8", paramLabel = "B", description = "Probe sequences (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--half", paramLabel = "N",
            description = "Random tokens per half of each probe sequence (default: n_positions / 2, at most 50).")
    Integer half;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of the probe's tokens (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", paramLabel = "DIR", description = "Write detect.json, three .npy grids and detect.html into DIR.")
    Path out;

    @Override
    public Integer call() throws Exception {
        LoadedGpt m = LoadedGpt.open(model, nonFinite.allowed());
        GptConfig c = m.model().config();
        int n = half != null ? half : Probe.standardHalf(c);
        if (batch < 1) throw new UsageException("--batch must be at least 1, got " + batch);
        if (n < 2 || (c.positional() == GptConfig.Positional.LEARNED && 2 * n > c.nPositions())) {
            throw new UsageException("--half must be at least 2 and 2·half fit the context of " + c.nPositions() + ", got " + n);
        }
        Probe p = new Probe(batch, n, c.vocabSize() > 2 ? 1 : 0, c.vocabSize(), seed); // the standard probe unless flags change it
        HeadScores s = HeadDetectors.on(m.model(), p);
        String probe = p.name() + (p.equals(Probe.standard(c)) ? " (the standard probe)" : "");
        System.out.println("probe    " + probe);
        System.out.println("head     previous-token  duplicate-token  induction");
        for (int l = 0; l < s.layers(); l++) {
            for (int h = 0; h < s.heads(); h++) {
                System.out.printf(Locale.ROOT, "L%dH%-4d %14.3f  %15.3f  %9.3f%n", l, h,
                        s.previousToken()[l][h], s.duplicateToken()[l][h], s.induction()[l][h]);
            }
        }
        int[] pt = HeadScores.best(s.previousToken()), dt = HeadScores.best(s.duplicateToken()), in = HeadScores.best(s.induction());
        System.out.printf(Locale.ROOT, "strongest: previous-token L%dH%d, duplicate-token L%dH%d, induction L%dH%d%n",
                pt[0], pt[1], dt[0], dt[1], in[0], in[1]);
        if (out != null) {
            OutDir files = new OutDir(out);
            ObjectNode root = OutDir.JSON.createObjectNode();
            root.put("probe", probe).put("batch", batch).put("half", n).put("seed", seed);
            OutDir.grid(root.putArray("previous_token"), s.previousToken());
            OutDir.grid(root.putArray("duplicate_token"), s.duplicateToken());
            OutDir.grid(root.putArray("induction"), s.induction());
            files.npy("detect_previous_token", s.previousToken());
            files.npy("detect_duplicate_token", s.duplicateToken());
            files.npy("detect_induction", s.induction());
            files.json("detect", root);
            List<String> rows = OutDir.labels("L", s.layers()), cols = OutDir.labels("H", s.heads());
            files.html("detect", Heatmap.page("loupe detect", "Probe: " + probe + ".", List.of(
                    new Heatmap("previous-token score", rows, cols, s.previousToken()),
                    new Heatmap("duplicate-token score", rows, cols, s.duplicateToken()),
                    new Heatmap("induction score", rows, cols, s.induction()))));
            System.out.println(files.summary());
        }
        return 0;
    }
}
