package dev.loupe.cli.size;

import java.util.Locale;

/** Short human forms of large numbers: 124.4M, 2.52B, 3.1 GiB, 4.2 PFLOP, 3 h 20 min. */
public final class Units {
    private Units() {}

    public static String count(double x) {
        return scaled(x, 1000, new String[] {"", "K", "M", "B", "T", "P", "E"});
    }

    static String exact(long x) {
        return String.format(Locale.ROOT, "%,d", x);
    }

    public static String bytes(double x) {
        return scaled(x, 1024, new String[] {" B", " KiB", " MiB", " GiB", " TiB", " PiB", " EiB"});
    }

    static String flops(double x) {
        String s = scaled(x, 1000, new String[] {" ", " K", " M", " G", " T", " P", " E", " Z", " Y"});
        return s + "FLOP";
    }

    static String duration(double seconds) {
        if (seconds < 1) return String.format(Locale.ROOT, "%.0f ms", seconds * 1000);
        if (seconds < 120) return String.format(Locale.ROOT, "%.1f s", seconds);
        if (seconds < 7200) return String.format(Locale.ROOT, "%.0f min", seconds / 60);
        if (seconds < 3 * 86400) return String.format(Locale.ROOT, "%.1f h", seconds / 3600);
        if (seconds < 3 * 365 * 86400.0) return String.format(Locale.ROOT, "%.1f days", seconds / 86400);
        return String.format(Locale.ROOT, "%.1f years", seconds / (365.25 * 86400));
    }

    private static String scaled(double x, double base, String[] suffix) {
        int i = 0;
        double v = x;
        while (Math.abs(v) >= base && i < suffix.length - 1) {
            v /= base;
            i++;
        }
        String num = Math.abs(v) >= 100 || i == 0 && v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v)
                : Math.abs(v) >= 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
        return num + suffix[i];
    }
}
