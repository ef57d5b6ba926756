package io.github.conversationstore.examples.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** An SVG line chart of append latency against session length, both axes logarithmic. */
final class Chart {
    private static final String[] COLORS = {"#1f77b4", "#17becf", "#d62728", "#ff7f0e", "#2ca02c", "#7f7f7f"};
    private static final int W = 900;
    private static final int H = 440;
    private static final int LEFT = 100;
    private static final int RIGHT = 300;
    private static final int TOP = 40;
    private static final int BOTTOM = 60;

    private Chart() {}

    static String svg(Map<WritePattern, Map<Integer, Double>> latency, List<Integer> lengths) {
        double minY = Double.MAX_VALUE;
        double maxY = 0;
        for (Map<Integer, Double> series : latency.values()) {
            for (double v : series.values()) {
                minY = Math.min(minY, v);
                maxY = Math.max(maxY, v);
            }
        }
        double lo = Math.floor(Math.log10(minY));
        double hi = Math.max(lo + 1, Math.ceil(Math.log10(maxY)));
        double minX = Math.log10(lengths.get(0));
        double maxX = Math.max(minX + 1, Math.log10(lengths.get(lengths.size() - 1)));
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", W, H, W, H));
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\">Append latency of a (user, assistant) pair"
                + " vs session length (1 thread, embedded server)</text>%n", LEFT));
        for (double e = lo; e <= hi; e++) {
            double y = y(e, lo, hi);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n",
                    LEFT, y, W - RIGHT, y));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s µs</text>%n",
                    LEFT - 6, y + 4, format(Math.pow(10, e))));
        }
        for (int length : lengths) {
            double x = x(Math.log10(length), minX, maxX);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>%n",
                    x, TOP, x, H - BOTTOM));
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    x, H - BOTTOM + 18, format(length)));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">messages in the session</text>%n",
                (LEFT + W - RIGHT) / 2, H - 18));
        int i = 0;
        for (Map.Entry<WritePattern, Map<Integer, Double>> series : latency.entrySet()) {
            String color = COLORS[series.getKey().ordinal() % COLORS.length];
            StringBuilder points = new StringBuilder();
            for (Map.Entry<Integer, Double> p : series.getValue().entrySet()) {
                double x = x(Math.log10(p.getKey()), minX, maxX);
                double y = y(Math.log10(p.getValue()), lo, hi);
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>%n", x, y, color));
            }
            svg.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>%n",
                    points.toString().trim(), color));
            int ly = TOP + 10 + i * 22;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>%n",
                    W - RIGHT + 15, ly, W - RIGHT + 35, ly, color));
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", W - RIGHT + 40, ly + 4,
                    escape(series.getKey().label())));
            i++;
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static double x(double log, double min, double max) {
        return LEFT + 20 + (log - min) / (max - min) * (W - RIGHT - LEFT - 40);
    }

    private static double y(double log, double lo, double hi) {
        return H - BOTTOM - (log - lo) / (hi - lo) * (H - BOTTOM - TOP - 10);
    }

    static String format(double value) {
        return value >= 1000 ? String.format(Locale.ROOT, "%,.0f", value) : String.format(Locale.ROOT, "%.0f", value);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
