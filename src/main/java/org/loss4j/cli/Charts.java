package org.loss4j.cli;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Bar charts of benchmark results (XChart, headless), PNG or SVG by the file's extension. A chart is one or more
 * panels stacked vertically; a panel has categories on the x axis (workloads), one bar series per implementation and
 * optionally line series (a roof). Used by {@code loss4j bench --chart} and by the JMH project's chart generator;
 * not API. Needs {@code org.knowm.xchart:xchart} at run time (the CLI's {@code lib/} has it).
 */
public final class Charts {

    private Charts() {}

    /** A series: one value per category ({@code NaN} = none); {@code line} draws it as a line (e.g. a roof). */
    public record Series(String name, double[] values, boolean line) {}

    /** A panel: title, y-axis title, categories, series; {@code log}: logarithmic y axis (powers of ten). */
    public record Panel(String title, String yTitle, List<String> categories, List<Series> series, boolean log) {}

    /** Panel height and smallest width in pixels (wider when there are many bars: {@link #width}). */
    public static final int WIDTH = 1100, HEIGHT = 560;

    /** The image width: {@link #WIDTH}, or more so that every bar keeps about 16 pixels. */
    public static int width(List<Panel> panels) {
        int w = WIDTH;
        for (Panel p : panels) {
            long bars = Math.max(1, p.series().stream().filter(s -> !s.line()).count());
            w = (int) Math.max(w, Math.min(8000, 260 + p.categories().size() * (bars * 16 + 12)));
        }
        return w;
    }

    /** Writes the panels stacked vertically to {@code file}: {@code .svg} as SVG, anything else as PNG. */
    public static void write(Path file, List<Panel> panels) throws IOException {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
        if (panels.isEmpty()) throw new IllegalArgumentException("no chart panels to write to " + file);
        int width = width(panels);
        List<CategoryChart> charts = new ArrayList<>();
        for (Panel p : panels) charts.add(chart(p, width));
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        if (isSvg(file)) writeSvg(file, charts, width);
        else writePng(file, charts, width);
    }

    /** True when the file name asks for SVG. */
    static boolean isSvg(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".svg");
    }

    private static void writePng(Path file, List<CategoryChart> charts, int width) throws IOException {
        BufferedImage all = new BufferedImage(width, HEIGHT * charts.size(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = all.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, all.getWidth(), all.getHeight());
        for (int i = 0; i < charts.size(); i++) {
            BufferedImage one = BitmapEncoder.getBufferedImage(charts.get(i));
            g.drawImage(one, 0, i * HEIGHT, null);
        }
        g.dispose();
        if (!ImageIO.write(all, "png", file.toFile())) throw new IOException("no PNG writer in this JVM");
    }

    /** One SVG document holding each chart as a nested {@code <svg>} at its offset. */
    private static void writeSvg(Path file, List<CategoryChart> charts, int width) throws IOException {
        StringBuilder out = new StringBuilder();
        out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\""
                + " version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">%n", width, HEIGHT * charts.size(), width,
                HEIGHT * charts.size()));
        for (int i = 0; i < charts.size(); i++) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            VectorGraphicsEncoder.saveVectorGraphic(charts.get(i), bytes, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
            String svg = bytes.toString(StandardCharsets.UTF_8);
            int start = svg.indexOf("<svg");
            if (start < 0) throw new IOException("XChart wrote no <svg> element");
            svg = svg.substring(start);
            // position the nested document at its offset: y on its root element (VectorGraphics2D writes x="0px" y="0px")
            int end = svg.indexOf('>');
            String root = svg.substring(0, end).replaceAll("\\s[xy]=\"[^\"]*\"", "");
            svg = root + " x=\"0\" y=\"" + (i * HEIGHT) + "\"" + svg.substring(end);
            out.append(svg.strip()).append('\n');
        }
        out.append("</svg>\n");
        Files.writeString(file, out, StandardCharsets.UTF_8);
    }

    private static CategoryChart chart(Panel p, int width) {
        CategoryChart c = new CategoryChartBuilder().width(width).height(HEIGHT).title(p.title()).yAxisTitle(p.yTitle()).build();
        Styler.ChartTheme theme = Styler.ChartTheme.XChart;
        c.getStyler().setTheme(theme.newInstance(theme));
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setPlotBackgroundColor(Color.WHITE);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        c.getStyler().setXAxisLabelRotation(p.categories().size() > 3 ? 20 : 0);
        c.getStyler().setOverlapped(false);
        c.getStyler().setAvailableSpaceFill(0.8);
        double min = Double.POSITIVE_INFINITY, max = 0;
        for (Series s : p.series()) {
            for (double v : s.values()) {
                if (v > 0 && Double.isFinite(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        if (max == 0) { // nothing positive: an empty but valid chart
            min = 1;
            max = 10;
        }
        if (p.log()) {
            // XChart's logarithmic bar charts need powers of ten as bounds; bars start at the lower bound
            double lo = Math.pow(10, Math.floor(Math.log10(min)));
            double hi = Math.pow(10, Math.ceil(Math.log10(max)));
            if (hi <= lo) hi = lo * 10;
            c.getStyler().setYAxisLogarithmic(true);
            c.getStyler().setYAxisMin(lo);
            c.getStyler().setYAxisMax(hi);
            c.getStyler().setYAxisDecimalPattern("0.#E0");
        } else {
            c.getStyler().setYAxisMin(0.0);
        }
        double floor = p.log() ? c.getStyler().getYAxisMin() : 0;
        for (Series s : p.series()) {
            List<Double> ys = new ArrayList<>();
            for (double v : s.values()) ys.add(v > 0 && Double.isFinite(v) ? v : floor); // missing: nothing above the axis
            CategorySeries cs = c.addSeries(s.name(), p.categories(), ys);
            if (s.line()) {
                // a constant reference is a line across the chart; one that varies by category (a roof per thread
                // count) is a grey bar beside the others, so that no line joins unrelated categories
                boolean constant = java.util.Arrays.stream(s.values()).filter(Double::isFinite).distinct().count() <= 1;
                if (constant) {
                    cs.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line);
                    cs.setMarker(SeriesMarkers.NONE);
                    cs.setLineColor(Color.DARK_GRAY);
                } else {
                    cs.setFillColor(Color.GRAY);
                }
            }
        }
        return c;
    }
}
