package dev.loupe.cli.interventions;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loupe.tensor.Tensor;
import dev.loupe.tensor.io.AtomicFiles;
import dev.loupe.tensor.io.Npy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The files an intervention command writes with {@code --out DIR}: {@code NAME.json} (every
 * number), one {@code .npy} per grid (float32, numpy's format) and {@code NAME.html} (heatmaps with
 * colour bars). Each file is written atomically.
 */
public final class OutDir {
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path dir;
    private final List<Path> written = new ArrayList<>();

    public OutDir(Path dir) {
        this.dir = dir;
    }

    /** grid [rows][cols] → DIR/name.npy. */
    public void npy(String name, double[][] grid) {
        Tensor t = Tensor.zeros(grid.length, grid.length == 0 ? 0 : grid[0].length);
        for (int i = 0; i < grid.length; i++) for (int j = 0; j < grid[i].length; j++) t.set((float) grid[i][j], i, j);
        Path p = dir.resolve(name + ".npy");
        Npy.write(p, t);
        written.add(p);
    }

    public void json(String name, ObjectNode root) throws Exception {
        Path p = dir.resolve(name + ".json");
        AtomicFiles.writeString(p, JSON.writeValueAsString(root) + "\n");
        written.add(p);
    }

    public void html(String name, String page) {
        Path p = dir.resolve(name + ".html");
        AtomicFiles.writeString(p, page);
        written.add(p);
    }

    /** "wrote a, b, c". */
    public String summary() {
        return "wrote " + String.join(", ", written.stream().map(Path::toString).toList());
    }

    public static ArrayNode grid(ArrayNode into, double[][] g) {
        for (double[] row : g) {
            ArrayNode r = into.addArray();
            for (double v : row) r.add(v);
        }
        return into;
    }

    public static List<String> labels(String prefix, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(prefix + i);
        return out;
    }

    /** A layer × column grid as text: a header of {@code prefix}0, 1, …, then one row per layer, each cell in {@code cell} (e.g. "%+9.4f"). */
    public static void printGrid(double[][] g, String prefix, String cell) {
        int width = String.format(java.util.Locale.ROOT, cell, 0.0).length();
        StringBuilder head = new StringBuilder("      ");
        for (int j = 0; j < g[0].length; j++) head.append(String.format(java.util.Locale.ROOT, "%" + width + "s", prefix + j));
        System.out.println(head);
        for (int l = 0; l < g.length; l++) {
            StringBuilder row = new StringBuilder(String.format(java.util.Locale.ROOT, "  L%-3d", l));
            for (double v : g[l]) row.append(String.format(java.util.Locale.ROOT, cell, v));
            System.out.println(row);
        }
    }
}
