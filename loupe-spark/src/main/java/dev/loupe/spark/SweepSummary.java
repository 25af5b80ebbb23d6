package dev.loupe.spark;

import dev.loupe.tensor.io.AtomicFiles;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The summary of a sweep: per configuration (sweep.parquet, summary.json "runs") and per value of
 * the swept variable, the mean final validation loss over seeds with its sample standard deviation
 * (summary.json "points", the error bars of sweep.png). Configurations that differ in another
 * non-seed key form separate series.
 */
public final class SweepSummary {
    private SweepSummary() {}

    /** One point of the plot: the swept value, its series, mean and standard deviation over the seeds. */
    public record Point(String series, double x, double mean, double std, int seeds) {}

    /** The points of {@code outcomes}, grouped by series and swept value, in ascending x. */
    public static List<Point> points(SweepGrid grid, List<SweepRun.Outcome> outcomes) {
        String swept = grid.sweptKey();
        Map<String, TreeMap<Double, List<Double>>> groups = new LinkedHashMap<>();
        for (SweepRun.Outcome o : outcomes) {
            StringBuilder series = new StringBuilder();
            o.configuration().forEach((k, v) -> {
                if (!k.equals(swept) && !k.equals("seed") && grid.values().get(k).size() > 1) {
                    series.append(series.isEmpty() ? "" : ",").append(k).append('=').append(v);
                }
            });
            String name = series.isEmpty() ? "final val loss" : series.toString();
            double x = Double.parseDouble(o.configuration().get(swept));
            groups.computeIfAbsent(name, k -> new TreeMap<>()).computeIfAbsent(x, k -> new ArrayList<>()).add(o.finalValLoss());
        }
        List<Point> out = new ArrayList<>();
        groups.forEach((series, byX) -> byX.forEach((x, losses) -> {
            double mean = losses.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN), ss = 0;
            for (double l : losses) ss += (l - mean) * (l - mean);
            out.add(new Point(series, x, mean, losses.size() > 1 ? Math.sqrt(ss / (losses.size() - 1)) : 0, losses.size()));
        }));
        return out;
    }

    static void write(SparkSession spark, SweepJob.Settings s, List<SweepRun.Outcome> outcomes, Path dir) {
        SweepGrid grid = s.grid();
        StructType schema = new StructType();
        for (String k : grid.keys()) schema = schema.add(k, DataTypes.StringType, false);
        schema = schema.add("final_val_loss", DataTypes.DoubleType, false).add("final_train_loss", DataTypes.FloatType, false)
                .add("parameters", DataTypes.LongType, false).add("seconds", DataTypes.DoubleType, false);
        List<Row> rows = new ArrayList<>();
        for (SweepRun.Outcome o : outcomes) {
            List<Object> cells = new ArrayList<>();
            for (String k : grid.keys()) cells.add(o.configuration().get(k));
            cells.addAll(List.of(o.finalValLoss(), o.finalTrainLoss(), o.parameters(), o.seconds()));
            rows.add(RowFactory.create(cells.toArray()));
        }
        spark.createDataFrame(rows, schema).coalesce(1).write().parquet(dir.resolve("sweep.parquet").toString());
        List<Point> points = points(grid, outcomes);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("job", "sweep");
        summary.put("data", s.data().toAbsolutePath().toString());
        summary.put("grid", grid.values());
        summary.put("defaults", s.defaults());
        summary.put("seq", s.seq());
        summary.put("batch", s.batch());
        summary.put("swept", grid.sweptKey());
        summary.put("runs", outcomes);
        summary.put("points", points);
        JsonOut.write(dir.resolve("summary.json"), summary);
        plot(grid.sweptKey(), points, dir.resolve("sweep.png"));
    }

    /** Final validation loss against the swept variable, one series per group, seeds as error bars. */
    static void plot(String swept, List<Point> points, Path png) {
        XYChart chart = new XYChartBuilder().width(900).height(500).title("Final validation loss vs " + swept)
                .xAxisTitle(swept).yAxisTitle("final validation loss (nats)").build();
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        Map<String, List<Point>> bySeries = new LinkedHashMap<>();
        for (Point p : points) bySeries.computeIfAbsent(p.series(), k -> new ArrayList<>()).add(p);
        double lo = Double.MAX_VALUE, hi = 0;
        for (Map.Entry<String, List<Point>> e : bySeries.entrySet()) {
            List<Point> ps = e.getValue();
            double[] x = new double[ps.size()], y = new double[ps.size()], err = new double[ps.size()];
            for (int i = 0; i < ps.size(); i++) {
                x[i] = ps.get(i).x();
                y[i] = ps.get(i).mean();
                err[i] = ps.get(i).std();
                lo = Math.min(lo, x[i]);
                hi = Math.max(hi, x[i]);
            }
            chart.addSeries(e.getKey(), x, y, err);
        }
        if (lo > 0 && hi / lo >= 8) chart.getStyler().setXAxisLogarithmic(true);
        AtomicFiles.write(png, out -> BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG));
    }

    /** The per-point table the CLI prints. */
    public static String table(String swept, List<Point> points) {
        StringBuilder sb = new StringBuilder(String.format("%-24s %10s %12s %10s %6s%n", "series", swept, "val loss", "± std", "seeds"));
        for (Point p : points) {
            sb.append(String.format("%-24s %10s %12.4f %10.4f %6d%n", p.series(), fmt(p.x()), p.mean(), p.std(), p.seeds()));
        }
        return sb.toString();
    }

    private static String fmt(double x) {
        return x == Math.rint(x) ? Long.toString((long) x) : Double.toString(x);
    }
}
