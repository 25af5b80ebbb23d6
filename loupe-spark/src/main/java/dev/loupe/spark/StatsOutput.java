package dev.loupe.spark;

import dev.loupe.analysis.stats.ActivationStats;
import dev.loupe.analysis.stats.Binning;
import dev.loupe.analysis.stats.TopExample;
import dev.loupe.analysis.stats.UnitStats;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files of an activation-stats run:
 * <ul>
 *   <li>{@code units.parquet}: one row per unit: unit, count, mean, variance, max, frequency,
 *       histogram (bins + 2 counts: underflow, bins, overflow) and top (position, value,
 *       context_start, tokens, values);</li>
 *   <li>{@code units.json}: a list with, per unit, {@code unit}, {@code mean}, {@code variance},
 *       {@code max}, {@code frequency} and {@code top} [{@code position}, {@code value}];</li>
 *   <li>{@code summary.json}: the job's settings, window and position counts, histogram edges;</li>
 *   <li>{@code report.html}: the units of largest max activation with their top contexts ({@link StatsReport}).</li>
 * </ul>
 */
final class StatsOutput {
    private StatsOutput() {}

    static final StructType TOP = new StructType()
            .add("position", DataTypes.LongType, false).add("value", DataTypes.FloatType, false)
            .add("context_start", DataTypes.LongType, false)
            .add("tokens", new ArrayType(DataTypes.IntegerType, false), false)
            .add("values", new ArrayType(DataTypes.FloatType, false), false);
    static final StructType UNITS = new StructType()
            .add("unit", DataTypes.IntegerType, false).add("count", DataTypes.LongType, false)
            .add("mean", DataTypes.DoubleType, false).add("variance", DataTypes.DoubleType, false)
            .add("max", DataTypes.FloatType, false).add("frequency", DataTypes.DoubleType, false)
            .add("histogram", new ArrayType(DataTypes.LongType, false), false)
            .add("top", new ArrayType(TOP, false), false);

    static void write(SparkSession spark, ActivationStats stats, ActivationStatsJob.Settings s, Path dir) {
        List<Row> rows = new ArrayList<>();
        List<Map<String, Object>> json = new ArrayList<>();
        for (int u = 0; u < stats.units(); u++) {
            UnitStats us = stats.unit(u);
            List<Row> top = new ArrayList<>();
            List<Map<String, Object>> topJson = new ArrayList<>();
            for (TopExample e : us.top()) {
                top.add(RowFactory.create(e.position(), e.value(), e.contextStart(), boxed(e.tokens()), boxed(e.values())));
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("position", e.position());
                t.put("value", e.value());
                topJson.add(t);
            }
            List<Long> hist = new ArrayList<>();
            for (long c : us.histogram()) hist.add(c);
            rows.add(RowFactory.create(u, us.count(), us.mean(), us.variance(), us.max(), us.frequency(), hist, top));
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("unit", u);
            j.put("mean", us.mean());
            j.put("variance", us.variance());
            j.put("max", us.max());
            j.put("frequency", us.frequency());
            j.put("top", topJson);
            json.add(j);
        }
        spark.createDataFrame(rows, UNITS).coalesce(1).write().parquet(dir.resolve("units.parquet").toString());
        JsonOut.write(dir.resolve("units.json"), json);
        Binning b = s.spec().binning();
        List<Double> edges = new ArrayList<>();
        for (int i = 0; i <= b.bins(); i++) edges.add(b.edge(i));
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("job", "activation-stats");
        summary.put("model", s.model().toAbsolutePath().toString());
        summary.put("data", s.data().stream().map(p -> p.toAbsolutePath().toString()).toList());
        summary.put("hook", s.spec().hook());
        summary.put("seq", s.seq());
        summary.put("windows", stats.windows());
        summary.put("positions", stats.units() == 0 ? 0 : stats.unit(0).count());
        summary.put("units", stats.units());
        summary.put("k", s.spec().k());
        summary.put("context_before", s.spec().before());
        summary.put("context_after", s.spec().after());
        summary.put("histogram_edges", edges);
        summary.put("histogram_layout", "underflow (< first edge), " + b.bins() + " bins, overflow (>= last edge)");
        JsonOut.write(dir.resolve("summary.json"), summary);
        StatsReport.write(dir.resolve("report.html"), stats, s.spec().hook(), b,
                dev.loupe.tokens.Tokenizers.load(s.model()).orElse(null));
    }

    private static List<Integer> boxed(int[] a) {
        List<Integer> l = new ArrayList<>(a.length);
        for (int v : a) l.add(v);
        return l;
    }

    private static List<Float> boxed(float[] a) {
        List<Float> l = new ArrayList<>(a.length);
        for (float v : a) l.add(v);
        return l;
    }
}
