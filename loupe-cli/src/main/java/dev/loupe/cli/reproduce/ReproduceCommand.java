package dev.loupe.cli.reproduce;

import picocli.CommandLine.Command;

/**
 * {@code loupe reproduce}: a paper's finding on small models, one subcommand each (one line in
 * {@code subcommands} and two in the description's list per reproduction).
 */
@Command(name = "reproduce", mixinStandardHelpOptions = true,
        subcommands = {
                BigramCommand.class,
                SkipTrigramsCommand.class,
                InductionCommand.class,
                SuperpositionCommand.class,
                MonosemanticityReproduction.class,
                GrokkingReproduction.class,
                InContextRegressionReproduction.class,
                LoraRankSweepReproduction.class,
                HighwayDepthCommand.class,
                MoeSpecialisationCommand.class,
        },
        description = {"Reproduce a paper's finding on small models trained here: train on a generated corpus or task (a minute "
                + "or a few on 2 cores), read the models with Loupe's analyses and write a report that says plainly what matched "
                + "the paper and what did not. The first three are the findings of \"A Mathematical Framework for Transformer "
                + "Circuits\" (Elhage et al., 2021).",
                "  bigram         a 0-layer model is a bigram table: softmax(W_E·W_U) against",
                "                 the corpus's counted bigrams",
                "  skip-trigrams  a 1-layer attention-only model: most heads copy (positive",
                "                 OV copying scores), skip-trigram tables",
                "  induction      a 2-layer attention-only model: the induction head",
                "                 K-composes with the previous-token head",
                "  superposition  toy models of superposition (Elhage et al. 2022): sparse",
                "                 features share dimensions; feature dimensionality",
                "  monosemanticity",
                "                 a sparse autoencoder on a 1-layer model's MLP: features",
                "                 are far more monosemantic than neurons (Bricken et al. 2023)",
                "  grokking       modular addition (Nanda et al. 2023): memorise, then",
                "                 generalise through a few key Fourier frequencies",
                "  in-context-regression",
                "                 attention as gradient descent (von Oswald et al. 2023):",
                "                 linear, softmax and least-squares layers vs GD and ridge",
                "  lora-rank-sweep",
                "                 LoRA (Hu et al. 2021) at r = 1 … 16 and a full fine-tune:",
                "                 loss against trainable parameters, disk, time",
                "  highway-depth  deep narrow stacks: plain (post-/pre-LN), highway and gated",
                "                 residual; later blocks refine (Greff et al. 2017)",
                "  moe-specialisation",
                "                 mixture of experts (Switch, Fedus et al. 2021): collapse",
                "                 without the load-balancing loss, experts by source with it"},
        footer = {"%nExamples:", "  loupe reproduce bigram", "  loupe reproduce skip-trigrams --out runs/skip",
                "  loupe reproduce induction --model runs/quickstart/attn-only-2l", "  loupe reproduce superposition", "  loupe reproduce grokking",
                "  loupe reproduce in-context-regression", "  loupe reproduce lora-rank-sweep", "  loupe reproduce highway-depth",
                "  loupe reproduce moe-specialisation"})
public final class ReproduceCommand {
}
