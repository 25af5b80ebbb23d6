package dev.loupe.cli.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Arrays;
import java.util.Locale;

/**
 * Summary of per-step times of one benchmark side (milliseconds): mean, median, 90th percentile and
 * maximum, and the rate as the mean (steps / total time), so that slow outlier steps show instead of
 * hiding behind a median.
 *
 * @param mean   total / steps
 * @param median the middle step (mean of the two middle ones for an even count)
 * @param p90    nearest-rank 90th percentile: the ⌈0.9·n⌉-th smallest step
 * @param max    the slowest step
 * @param steps  how many steps were timed
 */
public record StepTimes(double mean, double median, double p90, double max, int steps) {

    /** The summary of {@code ms} (at least one step). */
    public static StepTimes of(double[] ms) {
        if (ms.length == 0) throw new IllegalArgumentException("no steps timed");
        double[] s = ms.clone();
        Arrays.sort(s);
        int n = s.length;
        double median = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        double p90 = s[(int) Math.ceil(0.9 * n) - 1];
        return new StepTimes(Arrays.stream(ms).sum() / n, median, p90, s[n - 1], n);
    }

    /** The same fields from a peer's JSON ({@code mean_step_ms}, {@code median_step_ms}, …). */
    public static StepTimes fromJson(JsonNode j) {
        return new StepTimes(j.get("mean_step_ms").asDouble(), j.get("median_step_ms").asDouble(),
                j.get("p90_step_ms").asDouble(), j.get("max_step_ms").asDouble(), j.get("steps").asInt());
    }

    /** Steps per second over the whole run: 1000 / mean. */
    public double perSecond() {
        return 1000 / mean;
    }

    /** p90 / median: 1 for perfectly steady steps. */
    public double spread() {
        return p90 / median;
    }

    /** Adds the fields to {@code o} with {@code prefix} (e.g. "loupe_"). */
    public void into(ObjectNode o, String prefix) {
        o.put(prefix + "per_s", perSecond()).put(prefix + "mean_ms", mean).put(prefix + "median_ms", median)
                .put(prefix + "p90_ms", p90).put(prefix + "max_ms", max);
    }

    /** One table row: rate, then mean / median / p90 / max step in ms and p90/median. */
    public String row() {
        return row(1);
    }

    /** As {@link #row()} with the rate counted in {@code unitsPerStep} per step (e.g. tokens per forward pass). */
    public String row(double unitsPerStep) {
        return String.format(Locale.ROOT, "%7.1f %8.1f %8.1f %8.1f %8.1f %8.2f", unitsPerStep * perSecond(), mean, median, p90, max, spread());
    }

    /** The header matching {@link #row()}, with the rate's unit. */
    public static String header(String rate) {
        return String.format(Locale.ROOT, "%7s %8s %8s %8s %8s %8s", rate, "mean ms", "median", "p90", "max", "p90/med");
    }

    /** The 1-, 5- and 15-minute load averages (/proc/loadavg), or "unknown" off Linux. */
    public static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
