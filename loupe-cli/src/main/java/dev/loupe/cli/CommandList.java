package dev.loupe.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.util.Map;

/**
 * Renders the "Commands:" section of every help page as one line per command: its name and the
 * first sentence of its description, so {@code loupe --help} fits on a screen while each command's
 * own {@code --help} keeps the full text.
 */
final class CommandList {
    /** Abbreviations whose full stop does not end a sentence (a citation's "et al.", "e.g.", …). */
    private static final java.util.regex.Pattern ABBREVIATION =
            java.util.regex.Pattern.compile("(\\bal|\\be\\.g|\\bi\\.e|\\bcf|\\bvs)\\.$");

    private CommandList() {}

    /** Installs the one-line command list on {@code cli} and all its subcommands. */
    static void install(CommandLine cli) {
        cli.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST, CommandList::render);
        for (CommandLine sub : cli.getSubcommands().values()) install(sub);
    }

    private static String render(CommandLine.Help help) {
        Map<String, CommandLine.Help> subs = help.subcommands();
        if (subs.isEmpty()) return "";
        int width = subs.keySet().stream().mapToInt(String::length).max().orElse(0);
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, CommandLine.Help> e : subs.entrySet()) {
            sb.append(String.format("  %-" + width + "s  %s%n", e.getKey(), firstSentence(e.getValue().commandSpec())));
        }
        return sb.toString();
    }

    /** The header if the command has one, else the first sentence of its description. */
    static String firstSentence(CommandSpec spec) {
        String[] header = spec.usageMessage().header();
        String text = header.length > 0 ? String.join(" ", header) : String.join(" ", spec.usageMessage().description());
        text = text.replace("%n", " ").replaceAll("\\s+", " ").strip();
        int end = text.length();
        for (String stop : new String[] {". ", ": ", "; "}) {
            int i = text.indexOf(stop);
            while (i > 0 && stop.equals(". ") && ABBREVIATION.matcher(text.substring(0, i + 1)).find()) {
                i = text.indexOf(stop, i + 1);                              // "et al. 2022" does not end a sentence
            }
            if (i > 0 && i < end) end = i;
        }
        String sentence = text.substring(0, end).replaceAll("[.:;]$", "");
        int open = sentence.lastIndexOf(" (");
        if (open > 0 && sentence.indexOf(')', open) < 0) sentence = sentence.substring(0, open); // no half an aside
        int paren = sentence.indexOf(" (");
        if (sentence.length() > 72 && paren > 20) sentence = sentence.substring(0, paren); // asides stay in the command's own help
        int clause = sentence.indexOf(", ");
        if (sentence.length() > 72 && clause > 20) sentence = sentence.substring(0, clause); // so does a trailing clause
        return sentence.isEmpty() ? "" : Character.toUpperCase(sentence.charAt(0)) + sentence.substring(1) + ".";
    }
}
