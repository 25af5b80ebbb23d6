package dev.loupe.cli.interventions;

import dev.loupe.LoupeException;
import dev.loupe.analysis.interventions.Metrics;
import dev.loupe.cli.UsageException;
import dev.loupe.cli.model.LoadedGpt;
import dev.loupe.tensor.Tensor;
import picocli.CommandLine.Option;

import java.util.function.ToDoubleFunction;

/** The metric options of the intervention commands: loss, or the logit difference of two tokens. */
final class MetricOptions {
    enum Kind { loss, logit_diff }

    @Option(names = "--metric", defaultValue = "loss", paramLabel = "M", converter = KindConverter.class,
            description = "loss (mean next-token cross-entropy over the text, nats) or logit-diff (logit of --target minus "
                    + "logit of --counterfactual at --position, as in IOI-style work) (default: ${DEFAULT-VALUE}).")
    Kind kind;

    @Option(names = "--target", paramLabel = "TOKEN", description = "logit-diff: the correct next token (text of exactly one token).")
    String target;

    @Option(names = "--counterfactual", paramLabel = "TOKEN", description = "logit-diff: the competing token (text of exactly one token).")
    String counterfactual;

    @Option(names = "--position", defaultValue = "-1", paramLabel = "T",
            description = "logit-diff: the position whose prediction is measured; negative counts from the end (default: ${DEFAULT-VALUE}, the last).")
    int position;

    /** The metric on logits [1, T, V] of a run on ids [T]. */
    ToDoubleFunction<Tensor> metric(LoadedGpt m, int[] ids) {
        if (kind == Kind.loss) {
            if (target != null || counterfactual != null) throw new UsageException("--target/--counterfactual go with --metric logit-diff");
            if (ids.length < 2) throw new UsageException("--metric loss needs a text of at least 2 tokens");
            return Metrics.loss(ids);
        }
        if (target == null || counterfactual == null) throw new UsageException("--metric logit-diff needs --target and --counterfactual");
        return Metrics.logitDifference(position(ids.length), oneToken(m, target, "--target"), oneToken(m, counterfactual, "--counterfactual"));
    }

    /** What the metric is, in words. */
    String describe(LoadedGpt m, int length) {
        return kind == Kind.loss ? "loss (mean next-token cross-entropy, nats)"
                : "logit difference " + m.show(oneToken(m, target, "--target")) + " − " + m.show(oneToken(m, counterfactual, "--counterfactual"))
                        + " at position " + position(length);
    }

    int position(int length) {
        int p = position < 0 ? length + position : position;
        if (p < 0 || p >= length) throw new UsageException("--position " + position + " is outside the text's " + length + " tokens");
        return p;
    }

    /** The id of a text that must be exactly one token. */
    static int oneToken(LoadedGpt m, String text, String option) {
        int[] ids = m.requireTokenizer(option).encode(text);
        if (ids.length != 1) throw new LoupeException(option + " '" + text + "' is " + ids.length + " tokens; give the text of exactly one token");
        return ids[0];
    }

    static final class KindConverter implements picocli.CommandLine.ITypeConverter<Kind> {
        @Override
        public Kind convert(String s) {
            return switch (s) {
                case "loss" -> Kind.loss;
                case "logit-diff" -> Kind.logit_diff;
                default -> throw new picocli.CommandLine.TypeConversionException("--metric is loss or logit-diff, got '" + s + "'");
            };
        }
    }
}
