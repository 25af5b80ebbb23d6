package dev.loupe.experiments.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.model.Gpt;
import dev.loupe.model.io.ModelDirectory;
import dev.loupe.tensor.io.AtomicFiles;
import dev.loupe.tokens.Tokenizer;
import dev.loupe.tokens.Tokenizers;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What every reproduction's report shares: prose, findings (a claim of the paper, whether this run
 * matched it, the numbers) and JSON, written as {@code report.md} and {@code report.json}, next to
 * the trained model ({@code model/}) when there is one.
 */
public final class Report {
    /** One checked claim. */
    public record Finding(String claim, boolean matched, String evidence) {}

    private final String title;
    private final StringBuilder body = new StringBuilder();
    private final List<Finding> findings = new ArrayList<>();
    /** The JSON report; {@code "findings"} is added when it is written. */
    public final ObjectNode json = new ObjectMapper().createObjectNode();

    /** {@code name} goes to the JSON as {@code "reproduction"}; {@code title} heads the Markdown. */
    public Report(String name, String title) {
        this.title = title;
        json.put("reproduction", name);
    }

    /** A paragraph of the details (a {@link String#format} format, root locale). */
    public void paragraph(String format, Object... args) {
        body.append(String.format(Locale.ROOT, format, args)).append("\n\n");
    }

    /** One line of the details, e.g. a table row. */
    public void line(String format, Object... args) {
        body.append(String.format(Locale.ROOT, format, args)).append('\n');
    }

    public void finding(String claim, boolean matched, String evidence) {
        findings.add(new Finding(claim, matched, evidence));
    }

    public List<Finding> findings() {
        return findings;
    }

    /** Writes out/model (model + tokenizer), out/report.md and out/report.json; returns the Markdown. */
    public String write(Path out, Gpt gpt, Tokenizer tok) {
        ModelDirectory.write(out.resolve("model"), gpt.config(), gpt.parameters());
        Tokenizers.save(tok, out.resolve("model"));
        return writeReport(out, out.resolve("model"));
    }

    /** The Markdown report about the model in {@code modelDir}. */
    public String markdown(Path modelDir) {
        StringBuilder md = new StringBuilder("# ").append(title).append("\n\n## What matched the paper and what did not\n\n");
        for (Finding x : findings) {
            md.append("- **").append(x.matched() ? "MATCHED" : "NOT MATCHED").append("**: ").append(x.claim()).append(" — ")
                    .append(x.evidence()).append('\n');
        }
        md.append("\n## Details\n\n").append(body);
        md.append("Read the model further with `loupe circuits --model ").append(modelDir).append("`.\n");
        return md.toString();
    }

    /** Writes out/report.md and out/report.json about the model in {@code modelDir}; returns the Markdown. */
    public String writeReport(Path out, Path modelDir) {
        ArrayNode f = json.putArray("findings");
        for (Finding x : findings) f.addObject().put("claim", x.claim()).put("matched", x.matched()).put("evidence", x.evidence());
        String md = markdown(modelDir);
        AtomicFiles.writeString(out.resolve("report.md"), md);
        AtomicFiles.writeString(out.resolve("report.json"), json.toPrettyString() + "\n");
        return md;
    }
}
