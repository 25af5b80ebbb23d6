package dev.loupe.cli.reproduce;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.cli.train.ProgressReporter;
import dev.loupe.model.Gpt;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tensor.io.AtomicFiles;
import dev.loupe.tokens.CharTokenizer;
import dev.loupe.tokens.Tokenizers;
import dev.loupe.train.AdamW;
import dev.loupe.train.LrSchedule;
import dev.loupe.train.TokenData;
import dev.loupe.train.Trainer;
import dev.loupe.train.TrainingSettings;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * What every reproduction shares: training a model on a token stream, and a report made of prose,
 * findings (a claim of the paper, whether this run matched it, the numbers) and JSON, written as
 * {@code report.md} and {@code report.json} next to the trained model ({@code model/}).
 */
final class Reproduction {
    /** One checked claim. */
    record Finding(String claim, boolean matched, String evidence) {}

    private final String title;
    private final StringBuilder body = new StringBuilder();
    private final List<Finding> findings = new ArrayList<>();
    final ObjectNode json = new ObjectMapper().createObjectNode();

    Reproduction(String name, String title) {
        this.title = title;
        json.put("reproduction", name);
    }

    /** A token alphabet of n letters (capitals first), as a character tokenizer. */
    static CharTokenizer alphabet(int n) {
        String chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";   // sorted by code point, as CharTokenizer requires
        if (n > chars.length()) throw new IllegalArgumentException("alphabet of at most " + chars.length());
        return CharTokenizer.of(IntStream.range(0, n).mapToObj(i -> String.valueOf(chars.charAt(i))).toList());
    }

    /** Trains gpt on the stream (90/10 split) with AdamW and a cosine schedule; returns the first and last training loss. */
    static float[] train(Gpt gpt, int[] stream, int batch, int seqLen, int steps, double lr, long seed) {
        LrSchedule schedule = new LrSchedule(lr, lr / 10, Math.min(50, steps / 5), steps, LrSchedule.Kind.COSINE);
        TrainingSettings settings = new TrainingSettings(batch, seqLen, steps, schedule,
                new AdamW.Settings(0.9, 0.95, 1e-8, 0.0), 1.0, "random", seed, 0, 0, 0);
        Trainer trainer = new Trainer(gpt, settings, TokenData.split(stream));
        try (ProgressReporter progress = new ProgressReporter(System.err, 0, steps, null, false)) {
            trainer.run(progress, t -> { });
        }
        var h = trainer.history().steps();
        return new float[] {h.getFirst().loss(), h.getLast().loss()};
    }

    void paragraph(String format, Object... args) {
        body.append(String.format(Locale.ROOT, format, args)).append("\n\n");
    }

    void line(String format, Object... args) {
        body.append(String.format(Locale.ROOT, format, args)).append('\n');
    }

    void finding(String claim, boolean matched, String evidence) {
        findings.add(new Finding(claim, matched, evidence));
    }

    List<Finding> findings() {
        return findings;
    }

    /** Writes out/model (model + tokenizer), out/report.md and out/report.json; returns the Markdown. */
    String write(Path out, Gpt gpt, CharTokenizer tok) {
        ModelDirectory.write(out.resolve("model"), gpt.config(), gpt.parameters());
        Tokenizers.save(tok, out.resolve("model"));
        return writeReport(out, out.resolve("model"));
    }

    /** Writes out/report.md and out/report.json about the model in {@code modelDir}; returns the Markdown. */
    String writeReport(Path out, Path modelDir) {
        StringBuilder md = new StringBuilder("# ").append(title).append("\n\n## What matched the paper and what did not\n\n");
        ArrayNode f = json.putArray("findings");
        for (Finding x : findings) {
            md.append("- **").append(x.matched() ? "MATCHED" : "NOT MATCHED").append("**: ").append(x.claim()).append(" — ")
                    .append(x.evidence()).append('\n');
            f.addObject().put("claim", x.claim()).put("matched", x.matched()).put("evidence", x.evidence());
        }
        md.append("\n## Details\n\n").append(body);
        md.append("Read the model further with `loupe circuits --model ").append(modelDir).append("`.\n");
        AtomicFiles.writeString(out.resolve("report.md"), md.toString());
        AtomicFiles.writeString(out.resolve("report.json"), json.toPrettyString() + "\n");
        return md.toString();
    }
}
