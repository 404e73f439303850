package io.covenant.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Small, dependency-free SVG line charts for the HTML report: axes with ticks, one polyline per
 * series, a legend. Values are plotted as given; a log-scale axis is obtained by passing already
 * transformed x values with ticks labelled in the original unit.
 */
final class Svg {
  private static final int WIDTH = 720;
  private static final int HEIGHT = 300;
  private static final int LEFT = 64;
  private static final int RIGHT = 16;
  private static final int TOP = 28;
  private static final int BOTTOM = 44;

  /** A named line; {@code points} are (x, y) pairs. */
  record Series(String name, String color, List<double[]> points, boolean dashed) {
    Series(String name, String color, List<double[]> points) {
      this(name, color, points, false);
    }
  }

  /** An axis tick at {@code value}, shown as {@code label}. */
  record Tick(double value, String label) {}

  private Svg() {}

  /**
   * A line chart.
   *
   * @param xTicks ticks of the x axis, or null to place them evenly over the data
   */
  static String lineChart(String title, String xLabel, String yLabel, List<Series> series, List<Tick> xTicks) {
    return lineChart(title, xLabel, yLabel, series, xTicks, Double.NaN);
  }

  /**
   * A line chart whose x range up to {@code shadeUntil} (the warm-up) is shaded grey.
   *
   * @param xTicks ticks of the x axis, or null to place them evenly over the data
   */
  static String lineChart(String title, String xLabel, String yLabel, List<Series> series, List<Tick> xTicks,
      double shadeUntil) {
    double xMin = Double.MAX_VALUE;
    double xMax = -Double.MAX_VALUE;
    double yMax = 0;
    for (Series s : series) {
      for (double[] p : s.points()) {
        xMin = Math.min(xMin, p[0]);
        xMax = Math.max(xMax, p[0]);
        yMax = Math.max(yMax, p[1]);
      }
    }
    if (xMin == Double.MAX_VALUE) {
      xMin = 0;
      xMax = 1;
    }
    if (xTicks != null) {
      for (Tick t : xTicks) {
        xMin = Math.min(xMin, t.value());
        xMax = Math.max(xMax, t.value());
      }
    }
    if (xMax <= xMin) {
      xMax = xMin + 1;
    }
    double yTop = niceCeil(yMax <= 0 ? 1 : yMax);
    int plotW = WIDTH - LEFT - RIGHT;
    int plotH = HEIGHT - TOP - BOTTOM;
    double fxMin = xMin;
    double fxMax = xMax;
    java.util.function.DoubleUnaryOperator sx = x -> LEFT + (x - fxMin) / (fxMax - fxMin) * plotW;
    java.util.function.DoubleUnaryOperator sy = y -> TOP + plotH - (y / yTop) * plotH;

    StringBuilder sb = new StringBuilder();
    sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
        .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT).append("\" role=\"img\" aria-label=\"")
        .append(esc(title)).append("\">\n");
    sb.append("<rect x=\"0\" y=\"0\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT).append("\" fill=\"#fff\"/>\n");
    sb.append("<text x=\"").append(LEFT).append("\" y=\"18\" font-size=\"14\" font-weight=\"bold\">").append(esc(title)).append("</text>\n");
    if (!Double.isNaN(shadeUntil) && shadeUntil > xMin) {
      double x1 = sx.applyAsDouble(Math.min(shadeUntil, xMax));
      sb.append("<rect x=\"").append(LEFT).append("\" y=\"").append(TOP).append("\" width=\"").append(f(x1 - LEFT))
          .append("\" height=\"").append(plotH).append("\" fill=\"#f2f2f2\"/>\n");
    }
    // y grid and ticks
    for (int i = 0; i <= 5; i++) {
      double v = yTop * i / 5;
      double y = sy.applyAsDouble(v);
      sb.append("<line x1=\"").append(LEFT).append("\" y1=\"").append(f(y)).append("\" x2=\"").append(WIDTH - RIGHT)
          .append("\" y2=\"").append(f(y)).append("\" stroke=\"#e5e5e5\"/>\n");
      sb.append("<text x=\"").append(LEFT - 6).append("\" y=\"").append(f(y + 4))
          .append("\" font-size=\"11\" text-anchor=\"end\">").append(esc(num(v))).append("</text>\n");
    }
    // x ticks
    List<Tick> ticks = xTicks != null ? xTicks : evenTicks(xMin, xMax);
    for (Tick t : ticks) {
      double x = sx.applyAsDouble(t.value());
      sb.append("<line x1=\"").append(f(x)).append("\" y1=\"").append(TOP + plotH).append("\" x2=\"").append(f(x))
          .append("\" y2=\"").append(TOP + plotH + 4).append("\" stroke=\"#333\"/>\n");
      sb.append("<text x=\"").append(f(x)).append("\" y=\"").append(TOP + plotH + 16)
          .append("\" font-size=\"11\" text-anchor=\"middle\">").append(esc(t.label())).append("</text>\n");
    }
    sb.append("<line x1=\"").append(LEFT).append("\" y1=\"").append(TOP + plotH).append("\" x2=\"").append(WIDTH - RIGHT)
        .append("\" y2=\"").append(TOP + plotH).append("\" stroke=\"#333\"/>\n");
    sb.append("<line x1=\"").append(LEFT).append("\" y1=\"").append(TOP).append("\" x2=\"").append(LEFT)
        .append("\" y2=\"").append(TOP + plotH).append("\" stroke=\"#333\"/>\n");
    sb.append("<text x=\"").append(LEFT + plotW / 2).append("\" y=\"").append(HEIGHT - 8)
        .append("\" font-size=\"12\" text-anchor=\"middle\">").append(esc(xLabel)).append("</text>\n");
    sb.append("<text x=\"14\" y=\"").append(TOP + plotH / 2).append("\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 ")
        .append(TOP + plotH / 2).append(")\">").append(esc(yLabel)).append("</text>\n");
    // series
    int legendX = LEFT + 8;
    for (Series s : series) {
      if (s.points().isEmpty()) {
        continue;
      }
      StringBuilder pts = new StringBuilder();
      for (double[] p : s.points()) {
        pts.append(f(sx.applyAsDouble(p[0]))).append(',').append(f(sy.applyAsDouble(p[1]))).append(' ');
      }
      sb.append("<polyline fill=\"none\" stroke=\"").append(s.color()).append("\" stroke-width=\"1.8\"")
          .append(s.dashed() ? " stroke-dasharray=\"5,3\"" : "").append(" points=\"").append(pts.toString().trim())
          .append("\"/>\n");
      if (s.points().size() == 1 || s.points().size() <= 12) {
        for (double[] p : s.points()) {
          sb.append("<circle cx=\"").append(f(sx.applyAsDouble(p[0]))).append("\" cy=\"").append(f(sy.applyAsDouble(p[1])))
              .append("\" r=\"3\" fill=\"").append(s.color()).append("\"/>\n");
        }
      }
      sb.append("<rect x=\"").append(legendX).append("\" y=\"").append(TOP + 4).append("\" width=\"12\" height=\"3\" fill=\"")
          .append(s.color()).append("\"/>");
      sb.append("<text x=\"").append(legendX + 16).append("\" y=\"").append(TOP + 10).append("\" font-size=\"11\">")
          .append(esc(s.name())).append("</text>\n");
      legendX += 24 + 7 * s.name().length();
    }
    sb.append("</svg>\n");
    return sb.toString();
  }

  private static List<Tick> evenTicks(double min, double max) {
    List<Tick> ticks = new ArrayList<>();
    double step = niceCeil((max - min) / 8);
    double start = Math.ceil(min / step) * step;
    for (double v = start; v <= max + 1e-9; v += step) {
      ticks.add(new Tick(v, num(v)));
    }
    return ticks;
  }

  /** The smallest of 1, 2, 2.5, 5 times a power of ten that is at least {@code v}. */
  static double niceCeil(double v) {
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * p >= v - 1e-12) {
        return m * p;
      }
    }
    return 10 * p;
  }

  static String num(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return String.format(Locale.ROOT, Math.abs(v) < 10 ? "%.2f" : "%.1f", v);
  }

  private static String f(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
