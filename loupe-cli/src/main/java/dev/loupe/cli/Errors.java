package dev.loupe.cli;

import dev.loupe.LoupeException;
import picocli.CommandLine;

import java.io.PrintWriter;

/**
 * Turns exceptions into what a user should see: one line on stderr and exit code 1 for failures,
 * the usage error and exit code 2 for bad arguments. Stack traces appear only with {@code --debug}.
 */
final class Errors implements CommandLine.IExecutionExceptionHandler {
    private final boolean debug;

    Errors(boolean debug) {
        this.debug = debug;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parseResult) {
        PrintWriter err = cmd.getErr();
        if (ex instanceof UsageException) {
            err.println(helpName(cmd) + ": " + ex.getMessage());
            err.println("Run '" + helpName(cmd) + " --help' for usage.");
            err.flush();
            return 2;
        }
        err.println("loupe: " + oneLine(ex));
        if (debug) {
            ex.printStackTrace(err);
        } else if (!isExpected(ex)) {
            err.println("(run with --debug for details)");
        }
        err.flush();
        return 1;
    }

    /** Failures whose message is the whole story; anything else is a bug worth a --debug hint. */
    private static boolean isExpected(Throwable ex) {
        return ex instanceof LoupeException || ex instanceof java.io.IOException
                || ex instanceof IllegalArgumentException || ex instanceof java.io.UncheckedIOException;
    }

    static int usage(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("loupe: " + ex.getMessage());
        if (cmd.getCommandSpec().userObject() instanceof Main) {
            cmd.usage(err);
        } else if (!CommandLine.UnmatchedArgumentException.printSuggestions(ex, err)) {
            err.println("Run '" + helpName(cmd) + " --help' for usage.");
        }
        err.flush();
        return 2;
    }

    /** "loupe", "loupe train", "loupe bench kernels": what to type before --help. */
    private static String helpName(CommandLine cmd) {
        return cmd.getCommandSpec().qualifiedName(" ");
    }

    /** The message of the root cause, on one line, with the exception type when there is no message. */
    static String oneLine(Throwable ex) {
        Throwable t = ex;
        while (t.getCause() != null && (t.getMessage() == null || t instanceof java.lang.reflect.InvocationTargetException)) {
            t = t.getCause();
        }
        String msg = t.getMessage();
        if (msg == null || msg.isBlank()) msg = t.getClass().getSimpleName();
        else if (!(t instanceof LoupeException) && t instanceof java.io.IOException) msg = describeIo(t, msg);
        return msg.replace('\n', ' ').strip();
    }

    private static String describeIo(Throwable t, String msg) {
        if (t instanceof java.nio.file.NoSuchFileException) return "no such file: " + msg;
        if (t instanceof java.nio.file.AccessDeniedException) return "permission denied: " + msg;
        return msg;
    }
}
