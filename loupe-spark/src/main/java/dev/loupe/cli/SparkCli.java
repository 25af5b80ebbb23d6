package dev.loupe.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Entry point of {@code loupe spark} (the launcher runs it from the loupe-spark job jar with Spark on
 * the class path, keeping Spark out of the main {@code loupe.jar}). Same conventions as
 * {@link Main}: exit 0, 2 for bad usage, 1 for a failure with one line on stderr.
 */
@Command(name = "loupe spark",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {"Corpus-scale jobs on Apache Spark, embedded (--master local[*], the default) or on a cluster",
                "(--master spark://HOST:PORT), with the single-machine numbers. See docs/spark.md.%n"},
        footer = {"%nRun 'loupe spark JOB --help' for a job's options and an example."},
        subcommands = {
                CommandLine.HelpCommand.class,
                dev.loupe.spark.cli.SparkEvalCommand.class,
                dev.loupe.spark.cli.ActivationStatsCommand.class,
                dev.loupe.spark.cli.SweepCommand.class,
        })
public final class SparkCli implements Runnable {
    @Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces on errors.")
    boolean debug;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing job.");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs {@code loupe spark ARGS} and returns the exit code (tests call this). */
    public static int run(String... args) {
        boolean debug = java.util.Arrays.asList(args).contains("--debug");
        CommandLine cli = new CommandLine(new SparkCli());
        cli.setExecutionExceptionHandler(new Errors(debug));
        cli.setParameterExceptionHandler(Errors::usage);
        cli.setUsageHelpAutoWidth(true);
        CommandList.install(cli);
        DescriptionReflow.install(cli);
        return cli.execute(args);
    }
}
