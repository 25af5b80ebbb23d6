package dev.loupe.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Entry point of the {@code loupe} command. One subcommand per job; each has its own {@code --help}.
 *
 * <p>Exit codes: 0 success, 2 bad usage, 1 failure with one clear line on stderr (the stack trace
 * only with {@code --debug}).
 */
@Command(name = "loupe",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Build, train, run and dissect GPT-style transformers.%n",
        footer = {"%nRun 'loupe COMMAND --help' for a command's options and examples.",
                "Jobs on Apache Spark (eval, activation-stats, sweep): 'loupe spark --help'."},
        subcommands = {
                CommandLine.HelpCommand.class,
                dev.loupe.cli.quickstart.QuickstartCommand.class,
                dev.loupe.cli.attention.AttentionCommand.class,
                dev.loupe.cli.size.SizeCommand.class,
                dev.loupe.cli.trace.TraceCommand.class,
                dev.loupe.cli.trace.ContrastCommand.class,
                dev.loupe.cli.tokens.TokenizeCommand.class,
                dev.loupe.cli.tokens.DetokenizeCommand.class,
                dev.loupe.cli.hub.FetchCommand.class,
                dev.loupe.cli.serve.ServeCommand.class,
                dev.loupe.cli.model.LogitsCommand.class,
                dev.loupe.cli.model.HooksCommand.class,
                dev.loupe.cli.model.AttributeCommand.class,
                dev.loupe.cli.model.LensCommand.class,
                dev.loupe.cli.highway.HighwayCommand.class,
                dev.loupe.cli.model.GenerateCommand.class,
                dev.loupe.cli.model.ConvertCommand.class,
                dev.loupe.cli.train.TrainCommand.class,
                dev.loupe.cli.train.EvalCommand.class,
                dev.loupe.cli.lora.FinetuneCommand.class,
                dev.loupe.cli.lora.MergeCommand.class,
                dev.loupe.cli.lora.LoraCommand.class,
                dev.loupe.cli.bench.BenchCommand.class,
                dev.loupe.cli.circuits.CircuitsCommand.class,
                dev.loupe.cli.moe.MoeCommand.class,
                dev.loupe.cli.reproduce.ReproduceCommand.class,
                dev.loupe.cli.sae.SaeCommand.class,
                dev.loupe.cli.interventions.AblateCommand.class,
                dev.loupe.cli.interventions.PatchCommand.class,
                dev.loupe.cli.interventions.DetectCommand.class,
                dev.loupe.cli.interventions.CacheCommand.class,
                dev.loupe.cli.interventions.SteerCommand.class,
                dev.loupe.cli.shell.ShellCommand.class,
        })
public final class Main implements Runnable {

    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces and backend details on errors.")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        // 'loupe' alone: show the command list, exit 2 (it was not a valid request).
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command.");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit code (tests call this instead of {@link #main}). */
    public static int run(String... args) {
        boolean debug = java.util.Arrays.asList(args).contains("--debug");
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler(new Errors(debug));
        cli.setParameterExceptionHandler(Errors::usage);
        cli.setUsageHelpAutoWidth(true);
        CommandList.install(cli);
        DescriptionReflow.install(cli);
        if (debug) logEnvironment();
        return cli.execute(args);
    }

    /** With --debug: which kernels will run, so a slow or odd result can be traced to its backend. */
    private static void logEnvironment() {
        try {
            System.err.println("loupe: debug: Java " + Runtime.version() + ", " + dev.loupe.tensor.Parallel.threads()
                    + " threads, matmul backend " + dev.loupe.tensor.matmul.Backends.describe(dev.loupe.tensor.matmul.Matmul.backend()));
        } catch (RuntimeException e) {
            System.err.println("loupe: debug: matmul backend unavailable: " + e.getMessage());
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"loupe " + (v == null ? "(development build)" : v)
                    + " on Java " + Runtime.version()};
        }
    }
}
