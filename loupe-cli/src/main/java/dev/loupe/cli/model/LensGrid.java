package dev.loupe.cli.model;

import dev.loupe.analysis.decomposition.LogitLens;

import java.util.Locale;
import java.util.function.IntFunction;

/**
 * The logit lens as one compact text grid: a row per position (the token there), a column per layer
 * boundary (embed, L0, L1, …), each cell the top guess for the next token and its probability in
 * whole percent. 26 tokens fit in 27 lines, where one block per position took 130.
 */
final class LensGrid {
    private LensGrid() {}

    /** Longest token shown in a cell, in characters (longer ones are cut with "…"). */
    static final int MAX_TOKEN = 10;

    /**
     * The grid for {@code ids} ([T] token ids fed to the model); {@code show} renders a token
     * (e.g. quoted with \n made visible).
     */
    static String render(LogitLens lens, int[] ids, IntFunction<String> show) {
        int layers = lens.layers(), rows = ids.length;
        String[][] cells = new String[rows + 1][layers + 1];
        cells[0][0] = "position";
        for (int l = 0; l < layers; l++) cells[0][l + 1] = label(l);
        for (int t = 0; t < rows; t++) {
            cells[t + 1][0] = t + " " + cut(show.apply(ids[t]));
            for (int l = 0; l < layers; l++) {
                LogitLens.Guess g = lens.top(l, t, 1).get(0);
                cells[t + 1][l + 1] = cut(show.apply(g.token())) + String.format(Locale.ROOT, " %2.0f%%", 100 * g.probability());
            }
        }
        int[] width = new int[layers + 1];
        for (String[] row : cells) for (int c = 0; c < row.length; c++) width[c] = Math.max(width[c], row[c].length());
        StringBuilder sb = new StringBuilder();
        for (String[] row : cells) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                if (c > 0) line.append("  ");
                line.append(row[c]).append(" ".repeat(width[c] - row[c].length()));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    /** The name of layer boundary {@code layer}: "embed" before block 0, then "L0", "L1", … after each block. */
    static String label(int layer) {
        return layer == 0 ? "embed" : "L" + (layer - 1);
    }

    private static String cut(String s) {
        return s.length() <= MAX_TOKEN ? s : s.substring(0, MAX_TOKEN - 1) + "…";
    }
}
