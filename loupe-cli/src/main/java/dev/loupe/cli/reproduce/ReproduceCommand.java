package dev.loupe.cli.reproduce;

import picocli.CommandLine.Command;

/** {@code loupe reproduce}: the small-model findings of "A Mathematical Framework for Transformer Circuits", one subcommand each. */
@Command(name = "reproduce", mixinStandardHelpOptions = true,
        subcommands = {BigramReproduction.class, SkipTrigramReproduction.class, InductionReproduction.class,
                InContextRegressionReproduction.class},
        description = {"Reproduce a finding of \"A Mathematical Framework for Transformer Circuits\" (Elhage et al., 2021): "
                + "train a small model on a generated corpus (about a minute on 2 cores), read it with the circuits tools and "
                + "write a report (Markdown + JSON, and the trained model) that says plainly what matched the paper and what did not.",
                "  bigram         a 0-layer model is a bigram table: softmax(W_E·W_U) against",
                "                 the corpus's counted bigrams",
                "  skip-trigrams  a 1-layer attention-only model: most heads copy (positive",
                "                 OV copying scores), skip-trigram tables",
                "  induction      a 2-layer attention-only model: the induction head",
                "                 K-composes with the previous-token head"},
        footer = {"%nExamples:", "  loupe reproduce bigram", "  loupe reproduce skip-trigrams --out runs/skip",
                "  loupe reproduce induction --model runs/quickstart/attn-only-2l"})
public final class ReproduceCommand {
}
