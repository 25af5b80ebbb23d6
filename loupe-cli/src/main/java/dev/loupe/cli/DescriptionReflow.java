package dev.loupe.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Lets picocli wrap descriptions to the terminal: consecutive prose lines of a command's
 * description (the source keeps them under 120 columns) are joined into one paragraph, which the
 * help renderer then wraps at the real width, instead of each source line being wrapped on its own
 * and leaving ragged fragments on an 80-column terminal. Lines that are layout — blank, indented,
 * bulleted, or holding a column gap of three or more spaces — stay as they are.
 */
final class DescriptionReflow {
    private static final Pattern LAYOUT = Pattern.compile("^(\\s|[-•*]\\s|%n)|\\S {3,}\\S");

    private DescriptionReflow() {}

    /** Reflows the description of {@code cli}'s command and of all its subcommands. */
    static void install(CommandLine cli) {
        CommandSpec spec = cli.getCommandSpec();
        spec.usageMessage().description(reflow(spec.usageMessage().description()));
        for (CommandLine sub : cli.getSubcommands().values()) install(sub);
    }

    /** The lines with each run of consecutive prose lines joined by single spaces. */
    static String[] reflow(String[] lines) {
        List<String> out = new ArrayList<>();
        boolean previousProse = false;
        for (String line : lines) {
            boolean prose = !line.isBlank() && !LAYOUT.matcher(line).find();
            if (prose && previousProse) {
                out.set(out.size() - 1, out.getLast().stripTrailing() + " " + line.strip());
            } else {
                out.add(line);
            }
            previousProse = prose && !line.endsWith("%n");
        }
        return out.toArray(String[]::new);
    }
}
