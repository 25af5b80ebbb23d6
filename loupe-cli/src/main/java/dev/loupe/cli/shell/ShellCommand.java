package dev.loupe.cli.shell;

import jdk.jshell.tool.JavaShellToolBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code loupe shell}: JShell with the library on the class path, the JVM flags set and the imports done. */
@Command(name = "shell", mixinStandardHelpOptions = true,
        description = {
                "A notebook-like session on the command line: JShell (the JDK's Java REPL) with Loupe's library on the "
                        + "class path, the JVM flags Loupe needs (Vector API, native access, this JVM's heap settings) and "
                        + "the common imports done (dev.loupe.model.*, dev.loupe.analysis.interventions.*, "
                        + "dev.loupe.analysis.detectors.*, dev.loupe.tensor.*, java.util.*).",
                "Try: var m = Gpt.load(\"runs/quickstart/attn-only-2l\");  m.loss(\"abcabc\")  — see docs/library.md.",
                "/exit (or Ctrl-D) leaves; /help lists JShell's commands.",
                ""},
        footer = {"%nExamples:",
                "  loupe shell",
                "  loupe shell --file session.jsh        # runs a saved session, then stays in the shell"})
public final class ShellCommand implements Callable<Integer> {

    /** The imports every session starts with. */
    static final List<String> IMPORTS = List.of("dev.loupe.model.*", "dev.loupe.model.io.*", "dev.loupe.analysis.interventions.*",
            "dev.loupe.analysis.detectors.*", "dev.loupe.analysis.decomposition.*", "dev.loupe.tensor.*", "dev.loupe.tensor.io.*",
            "dev.loupe.tokens.*", "java.util.*", "java.nio.file.*");

    @Option(names = "--file", paramLabel = "FILE.jsh", description = "A JShell script to run first.")
    Path file;

    @Override
    public Integer call() throws Exception {
        return JavaShellToolBuilder.builder().start(arguments(file).toArray(String[]::new));
    }

    /**
     * JShell's arguments: this JVM's class path, its flags forwarded to the JShell execution JVM
     * ({@code -R}), the default startup plus the Loupe imports, and {@code script} if given.
     */
    static List<String> arguments(Path script) throws IOException {
        Path startup = Files.createTempFile("loupe-shell", ".jsh");
        startup.toFile().deleteOnExit();
        StringBuilder imports = new StringBuilder();
        for (String i : IMPORTS) imports.append("import ").append(i).append(";\n");
        Files.writeString(startup, imports);
        List<String> args = new ArrayList<>(List.of("--class-path", System.getProperty("java.class.path"),
                "--startup", "DEFAULT", "--startup", startup.toString()));
        for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (flag.startsWith("-agentlib") || flag.startsWith("-javaagent") || flag.startsWith("-Djdk.internal")) continue;
            args.add("-R" + flag);
        }
        if (!args.contains("-R--add-modules=jdk.incubator.vector") && !String.join(" ", args).contains("jdk.incubator.vector")) {
            args.add("-R--add-modules=jdk.incubator.vector");
        }
        if (script != null) args.add(script.toString());
        return args;
    }
}
