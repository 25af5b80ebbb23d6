package dev.loupe.cli.trace;

import dev.loupe.analysis.trace.TraceStep;
import dev.loupe.analysis.trace.TraceTensor;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** The walkthrough as text: one block per numbered step (title, formula, shape, meaning, matrices). */
final class TraceText {
    private static final int WRAP = 100;

    private TraceText() {}

    static void print(PrintStream out, List<String> header, List<TraceStep> steps) {
        header.forEach(out::println);
        for (TraceStep s : steps) {
            out.println();
            String title = "── " + s.number() + ". " + s.title() + " ";
            out.println(title + "─".repeat(Math.max(3, WRAP - title.length())));
            out.println("   formula  " + s.formula());
            out.println("   shape    " + s.shape());
            for (String line : wrap(s.meaning(), WRAP - 3)) out.println("   " + line);
            for (TraceTensor t : s.values()) {
                out.println();
                MatrixText.render(t, "   ").forEach(out::println);
            }
        }
    }

    /** Greedy word wrap. */
    static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) line.append(' ');
            line.append(word);
        }
        if (line.length() > 0) lines.add(line.toString());
        return lines;
    }
}
