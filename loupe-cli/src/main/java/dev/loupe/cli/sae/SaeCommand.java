package dev.loupe.cli.sae;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code loupe sae}: dictionary learning (sparse autoencoders in SAELens' file layout). */
@Command(name = "sae", mixinStandardHelpOptions = true,
        description = {
                "Dictionary learning: train sparse autoencoders on a hook point's activations and evaluate them,",
                "reading and writing SAELens' layout (cfg.json, sae_weights.safetensors, sparsity.safetensors).",
                "Formulas, file layout and a worked example: docs/sae.md.", ""},
        subcommands = {SaeTrainCommand.class, SaeEvalCommand.class, SaeFeaturesCommand.class},
        footer = {"", "Example:",
                "  loupe sae train --model runs/shakespeare --hook blocks.1.hook_resid_post --data ../shared/data/tinyshakespeare.txt --out runs/sae --expansion-factor 8",
                "  loupe sae eval --model runs/shakespeare --sae runs/sae --data ../shared/data/tinyshakespeare.txt"})
public final class SaeCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand: train, eval or features.");
    }
}
