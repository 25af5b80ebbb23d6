package dev.loupe.cli.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code loupe bench}: the parent of the benchmarks; alone it lists them. */
@Command(name = "bench",
        mixinStandardHelpOptions = true,
        description = {"Measure speed against a peer in the same run.",
                "Subcommands: kernels (matrix multiplication GFLOPS per backend and memory bandwidth), train (training tokens/s and peak memory), generate (KV-cache decoding tokens/s, float32 and bfloat16 weights), prefill (a full forward over a long prompt), each next to PyTorch when it is installed; bf16 (accuracy of bfloat16 weights against float32); tokenizer (GPT-2 BPE encoding MB/s next to jtokkit); sae (SAE training steps and activation harvesting next to PyTorch)."},
        footer = {"%nExample:%n  loupe bench kernels --repeat 5"},
        subcommands = {KernelsCommand.class, TrainBenchCommand.class, dev.loupe.cli.model.GenerateBenchCommand.class,
                dev.loupe.cli.model.PrefillBenchCommand.class,
                Bf16AccuracyCommand.class, TokenizerBenchCommand.class, dev.loupe.cli.sae.SaeBenchCommand.class, GrokkingBenchCommand.class})
public final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing benchmark: choose one of "
                + String.join(", ", spec.subcommands().keySet()) + ".");
    }
}
