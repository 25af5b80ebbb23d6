package dev.loupe.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DescriptionReflowTest {

    @Test
    void joinsProseAndKeepsLayout() {
        String[] in = {"First line of a", "paragraph.", "", "  indented stays", "name    column gap stays", "Second", "paragraph."};
        assertThat(DescriptionReflow.reflow(in)).containsExactly("First line of a paragraph.", "", "  indented stays",
                "name    column gap stays", "Second paragraph.");
    }

    /**
     * Every command's description, rendered at 80 columns (the width when no terminal is attached),
     * has no ragged fragment: no short line, and no indented (list or table) line, whose text
     * continues at column 0 on the next line.
     */
    @Test
    void everyHelpPageWrapsCleanlyAt80Columns() {
        CommandLine cli = new CommandLine(new Main());
        CommandList.install(cli);
        DescriptionReflow.install(cli);
        List<String> ragged = new ArrayList<>();
        collect(cli, ragged);
        assertThat(ragged).isEmpty();
    }

    private static void collect(CommandLine cli, List<String> ragged) {
        cli.setUsageHelpWidth(80);
        String[] lines = new CommandLine.Help(cli.getCommandSpec(), CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF))
                .description().split("\\R");
        for (int i = 0; i + 1 < lines.length; i++) {
            String a = lines[i], b = lines[i + 1];
            boolean continues = !b.isBlank() && !Character.isWhitespace(b.charAt(0)) && Character.isLowerCase(b.charAt(0));
            if (a.length() > 80 || (continues && !a.isBlank() && (Character.isWhitespace(a.charAt(0)) || a.strip().length() < 50)
                    && !a.strip().endsWith(":"))) {
                ragged.add(cli.getCommandName() + ": \"" + a + "\" / \"" + b + "\"");
            }
        }
        for (CommandLine sub : cli.getSubcommands().values()) collect(sub, ragged);
    }
}
