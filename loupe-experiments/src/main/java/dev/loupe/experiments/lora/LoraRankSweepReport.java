package dev.loupe.experiments.lora;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.experiments.report.Png;
import dev.loupe.tensor.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static dev.loupe.experiments.report.AttentionHeatmap.escape;

/**
 * The rank sweep's report: {@code report.json} (the base model's losses and one entry per run under
 * {@code runs}), {@code loss_vs_rank.png} (held-out and training loss against r on a log₂ axis, the full
 * fine-tune and the base model as horizontal reference lines) and a self-contained {@code report.html}
 * (the table, the chart inline, how to use the adapters); {@link #table} is the same table as text.
 */
public final class LoraRankSweepReport {
    public static final String JSON = "report.json", HTML = "report.html", PNG = "loss_vs_rank.png";

    private LoraRankSweepReport() {}

    /** Writes the three files into {@code out}, each atomically. */
    public static void write(LoraRankSweepResult r, Path out) {
        byte[] png = png(chart(r));
        AtomicFiles.writeString(out.resolve(JSON), json(r, out).toPrettyString() + "\n");
        AtomicFiles.writeBytes(out.resolve(PNG), png);
        AtomicFiles.writeString(out.resolve(HTML), html(r, png));
    }

    /** The table as fixed-width text: the base model, each LoRA rank, the full fine-tune. */
    public static String table(LoraRankSweepResult r) {
        boolean original = !Double.isNaN(r.baseOriginalLoss());
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-6s %5s %6s %12s %8s %10s %10s%s %12s %9s %10s%n", "run", "r",
                "alpha", "trainable", "% base", "train loss", "held-out", original ? String.format(Locale.ROOT, " %10s", "original") : "",
                "on disk", "ms/step", "state MB"));
        b.append(String.format(Locale.ROOT, "%-6s %5s %6s %,12d %8s %10.4f %10.4f%s %12s %9s %10s%n", "base", "-", "-", 0, "0", r.baseTrainLoss(),
                r.baseValLoss(), original ? String.format(Locale.ROOT, " %10.4f", r.baseOriginalLoss()) : "", "-", "-", "-"));
        for (SweepRun x : r.runs()) {
            b.append(String.format(Locale.ROOT, "%-6s %5s %6s %,12d %8.3f %10.4f %10.4f%s %,12d %9.1f %10.1f%n", x.name(),
                    x.full() ? "-" : String.valueOf(x.rank()), x.full() ? "-" : LoraRankSweep.trim(x.alpha()), x.trainable(),
                    100.0 * x.trainable() / r.baseParameters(), x.trainLoss(), x.valLoss(),
                    original ? String.format(Locale.ROOT, " %10.4f", x.originalLoss()) : "", x.diskBytes(), 1e3 * x.secondsPerStep(),
                    x.stateBytes() / 1e6));
        }
        return b.toString();
    }

    static ObjectNode json(LoraRankSweepResult r, Path out) {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        root.put("reproduction", "lora-rank-sweep");
        root.put("paper", "Hu et al. 2021, LoRA: Low-Rank Adaptation of Large Language Models");
        root.put("description", r.description());
        var c = r.config();
        ObjectNode base = root.putObject("base_model");
        base.put("dir", relative(out, r.baseDir())).put("n_layer", c.nLayer()).put("d_model", c.dModel()).put("n_head", c.nHead())
                .put("vocab_size", c.vocabSize()).put("n_positions", c.nPositions()).put("parameters", r.baseParameters())
                .put("train_loss", r.baseTrainLoss()).put("val_loss", r.baseValLoss());
        number(base, "original_loss", r.baseOriginalLoss());
        var s = r.settings();
        ObjectNode set = root.putObject("settings");
        ArrayNode ranks = set.putArray("ranks");
        s.ranks().forEach(ranks::add);
        set.put("alpha_over_r", s.alphaOverR());
        ArrayNode targets = set.putArray("target_modules");
        s.targetModules().forEach(targets::add);
        set.put("full_fine_tune", s.fullFineTune()).put("steps", s.steps()).put("batch", s.batch()).put("seq", s.seq()).put("lr", s.lr())
                .put("warmup", s.warmup()).put("seed", s.seed()).put("optimizer", "AdamW beta (0.9, 0.999), eps 1e-8, weight decay 0")
                .put("schedule", "linear warm-up, cosine to lr/10").put("grad_clip", 1.0);
        root.put("train_tokens", r.trainTokens()).put("val_tokens", r.valTokens()).put("seconds", r.seconds());
        ArrayNode runs = root.putArray("runs");
        for (SweepRun x : r.runs()) {
            ObjectNode o = runs.addObject();
            o.put("name", x.name()).put("kind", x.full() ? "full" : "lora");
            if (x.full()) o.putNull("rank").putNull("lora_alpha");
            else o.put("rank", x.rank()).put("lora_alpha", x.alpha());
            o.put("trainable_parameters", x.trainable()).put("trainable_percent", 100.0 * x.trainable() / r.baseParameters())
                    .put("train_loss", x.trainLoss()).put("val_loss", x.valLoss());
            number(o, "original_loss", x.originalLoss());
            o.put("disk_bytes", x.diskBytes()).put("seconds_per_step", x.secondsPerStep()).put("train_seconds", x.trainSeconds())
                    .put("state_bytes", x.stateBytes()).put("dir", relative(out, x.dir()));
        }
        return root;
    }

    private static void number(ObjectNode o, String key, double v) {
        if (Double.isNaN(v)) o.putNull(key);
        else o.put(key, v);
    }

    private static String relative(Path out, Path p) {
        Path a = out.toAbsolutePath().normalize(), b = p.toAbsolutePath().normalize();
        return b.startsWith(a) ? a.relativize(b).toString() : p.toString();
    }

    /** Loss against r (log₂ axis): held-out and training loss of the LoRA runs; the full fine-tune and the base as lines. */
    static XYChart chart(LoraRankSweepResult r) {
        XYChart chart = new XYChartBuilder().width(900).height(540).title("LoRA rank sweep: loss after " + r.settings().steps() + " steps")
                .xAxisTitle("LoRA rank r (log scale)").yAxisTitle("cross-entropy (nats per token)").build();
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setXAxisTickLabelsFormattingFunction(x -> {            // x = log₂ r: label the powers of two
            double k = Math.rint(x);
            return Math.abs(x - k) < 1e-6 && k >= 0 ? String.valueOf(1L << (long) k) : "";
        });
        List<SweepRun> lora = r.lora();
        double lo = lora.isEmpty() ? 0 : log2(lora.getFirst().rank()), hi = lora.isEmpty() ? 1 : Math.max(log2(lora.getLast().rank()), lo + 1);
        chart.getStyler().setXAxisMin(Math.floor(lo)).setXAxisMax(Math.ceil(hi));
        if (!lora.isEmpty()) {
            double[] x = lora.stream().mapToDouble(run -> log2(run.rank())).toArray();
            chart.addSeries("LoRA, held-out", x, lora.stream().mapToDouble(SweepRun::valLoss).toArray()).setMarker(SeriesMarkers.CIRCLE);
            chart.addSeries("LoRA, training", x, lora.stream().mapToDouble(SweepRun::trainLoss).toArray()).setMarker(SeriesMarkers.DIAMOND);
        }
        double[] ends = {Math.floor(lo), Math.ceil(hi)};
        SweepRun full = r.full();
        if (full != null) {
            chart.addSeries("full fine-tune, held-out", ends, new double[] {full.valLoss(), full.valLoss()}).setMarker(SeriesMarkers.NONE);
        }
        chart.addSeries("base model, held-out", ends, new double[] {r.baseValLoss(), r.baseValLoss()}).setMarker(SeriesMarkers.NONE);
        return chart;
    }

    private static double log2(int r) {
        return Math.log(r) / Math.log(2);
    }

    private static byte[] png(XYChart chart) {
        try {
            return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String html(LoraRankSweepResult r, byte[] png) {
        var s = r.settings();
        boolean original = !Double.isNaN(r.baseOriginalLoss());
        StringBuilder b = new StringBuilder();
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>LoRA rank sweep</title>\n"
                + "<style>body{font-family:sans-serif;margin:2em;max-width:75em;line-height:1.4}table{border-collapse:collapse;margin:1em 0}"
                + "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right;font-variant-numeric:tabular-nums}th{background:#f4f4f4}"
                + "td:first-child{text-align:left}img{max-width:100%}code{background:#f4f4f4}</style></head><body>\n");
        b.append("<h1>LoRA rank sweep</h1>\n");
        b.append(String.format(Locale.ROOT, "<p>Hu et al. (2021), \"LoRA: Low-Rank Adaptation of Large Language Models\": each targeted "
                        + "Conv1D layer y = x·W + b gets y += (α/r)·(x·Aᵀ)·Bᵀ with A [r, in] and B [out, r], W frozen.</p>%n<p>Base model and data: %s.</p>%n"
                        + "<p>Every run: %d steps of %d × %d tokens, AdamW β (0.9, 0.999), lr %s with %d warm-up steps then cosine to lr/10, "
                        + "gradient clipping at 1, seed %d (the same batches in every run). LoRA on %s with α = %s·r, so α/r is the same at "
                        + "every rank. Base model: %d layers, d_model %d, %d heads, vocabulary %,d: %,d parameters. %,d training tokens; "
                        + "held-out loss over all %,d held-out tokens. The sweep took %.0f s.</p>%n",
                escape(r.description()), s.steps(), s.batch(), s.seq(), LoraRankSweep.trim(s.lr()), s.warmup(), s.seed(),
                escape(String.join(", ", s.targetModules())), LoraRankSweep.trim(s.alphaOverR()), r.config().nLayer(), r.config().dModel(),
                r.config().nHead(), r.config().vocabSize(), r.baseParameters(), r.trainTokens(), r.valTokens(), r.seconds()));
        b.append("<img alt=\"loss against rank\" src=\"").append(Png.dataUri(png)).append("\">\n");
        b.append("<table><tr><th>run</th><th>r</th><th>α</th><th>trainable parameters</th><th>% of base</th><th>training loss</th>"
                + "<th>held-out loss</th>").append(original ? "<th>loss on the base's own text</th>" : "")
                .append("<th>files on disk (bytes)</th><th>ms / step (median)</th><th>training s</th><th>training state (MB)</th></tr>\n");
        b.append(String.format(Locale.ROOT, "<tr><td>base model</td><td></td><td></td><td>0</td><td>0</td><td>%.4f</td><td>%.4f</td>%s"
                        + "<td></td><td></td><td></td><td></td></tr>%n", r.baseTrainLoss(), r.baseValLoss(),
                original ? String.format(Locale.ROOT, "<td>%.4f</td>", r.baseOriginalLoss()) : ""));
        for (SweepRun x : r.runs()) {
            b.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%,d</td><td>%.3f</td><td>%.4f</td><td>%.4f</td>%s"
                            + "<td>%,d</td><td>%.1f</td><td>%.1f</td><td>%.1f</td></tr>%n", x.full() ? "full fine-tune" : "LoRA " + x.name(),
                    x.full() ? "" : x.rank(), x.full() ? "" : LoraRankSweep.trim(x.alpha()), x.trainable(), 100.0 * x.trainable() / r.baseParameters(),
                    x.trainLoss(), x.valLoss(), original ? String.format(Locale.ROOT, "<td>%.4f</td>", x.originalLoss()) : "", x.diskBytes(),
                    1e3 * x.secondsPerStep(), x.trainSeconds(), x.stateBytes() / 1e6));
        }
        b.append("</table>\n<p>Trainable parameters of LoRA: Σ r·(in + out) over the targeted modules. Training loss: the first "
                + "windows of the fine-tune training text, as many tokens as held out, after training. Files on disk: "
                + "<code>adapter_config.json</code> + <code>adapter_model.safetensors</code> (PEFT's layout) for LoRA, "
                + "<code>config.json</code> + <code>model.safetensors</code> for the full fine-tune. Training state: float32 weights, "
                + "gradient buffers and AdamW moments the run held, counted from its tensors (activations, the JVM and the logits "
                + "are not included)");
        if (original) b.append("; loss on the base's own text: held-out text of the base model's training data, which a fine-tune forgets");
        b.append(". Wall times were measured on whatever load the machine had.</p>\n");
        SweepRun example = r.lora().isEmpty() ? null : r.lora().getLast();
        if (example != null) {
            b.append(String.format(Locale.ROOT, "<p>Use an adapter: <code>loupe generate --model %s --adapter %s --prompt \"The \"</code>; "
                            + "read it as circuits: <code>loupe lora --model %s --adapter %s --text \"The \"</code>.</p>%n", escape(r.baseDir().toString()),
                    escape(example.dir().toString()), escape(r.baseDir().toString()), escape(example.dir().toString())));
        }
        b.append("</body></html>\n");
        return b.toString();
    }
}
