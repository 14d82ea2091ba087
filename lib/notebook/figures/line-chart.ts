// Curves such as loss or accuracy against training step, or time against context length.
import type { Axis, Figure, ScatterTrace } from "../plot-types";
import { CHART_HEIGHT, baseLayout, escapeLabel, finiteOrNull, plainAxis } from "../plot-style";
import { logAxisTicks, wholeStepTicks } from "./ticks";
import { ChartOptions, valueAxis } from "./value-axis";

// Short curves get a marker on each point, so that a single point (first step) is visible too.
const MAX_POINTS_WITH_MARKERS = 20;
const COLOURS = 10; // plotly's palette: series 11 and on reuse its colours, so they are drawn dashed, then dotted
const DASHES = ["solid", "dash", "dot"] as const;

export interface Series {
  name: string;
  x: number[];
  y: number[];
}

export interface LineChartOptions extends ChartOptions {
  logY?: boolean;
  logX?: boolean; // e.g. time against context length T = 16, 32, ..., 2048: equal steps for each doubling
}

/** The x axis: log with readable ticks, whole-step ticks when every x is a whole number, else plotly's own. */
function lineXAxis(series: Series[], opts: LineChartOptions): Axis {
  const xs = series.flatMap((s) => Array.from(s.x));
  if (opts.logX) return { ...plainAxis(opts.xTitle), ...logAxisTicks(xs, true, undefined) };
  if (xs.every(Number.isInteger)) return { ...plainAxis(opts.xTitle), ...wholeStepTicks(xs) };
  return plainAxis(opts.xTitle);
}

/** Curves such as loss or accuracy against training step; NaN or Infinity leaves a gap. */
export function lineChart(series: Series[], opts: LineChartOptions = {}): Figure {
  if (series.length === 0) throw new Error("lineChart: got no series; expected at least one {name, x, y}.");
  if (opts.logY && opts.yRange !== undefined && !(opts.yRange[0] > 0 && opts.yRange[1] > 0)) {
    throw new Error(`lineChart: yRange [${opts.yRange.join(", ")}] must be above 0 on a log axis.`);
  }
  if (opts.logX) {
    const bad = series.find((s) => Array.from(s.x).some((x) => !(x > 0)));
    if (bad) throw new Error(`lineChart: series "${bad.name}" has an x value <= 0, which a log x axis cannot show.`);
  }
  const data = series.map((s, i): ScatterTrace => {
    if (s.x.length !== s.y.length) {
      throw new Error(`lineChart: series "${s.name}" has ${s.x.length} x values but ${s.y.length} y values.`);
    }
    return {
      type: "scatter",
      mode: s.x.length <= MAX_POINTS_WITH_MARKERS ? "lines+markers" : "lines",
      name: escapeLabel(s.name),
      x: Array.from(s.x),
      y: Array.from(s.y, finiteOrNull),
      ...(i >= COLOURS && { line: { dash: DASHES[Math.floor(i / COLOURS) % DASHES.length] } }),
    };
  });
  const ys = series.flatMap((s) => Array.from(s.y));
  return {
    data,
    layout: {
      ...baseLayout(opts.title, CHART_HEIGHT),
      showlegend: series.length > 1,
      xaxis: lineXAxis(series, opts),
      yaxis: valueAxis(opts, opts.logY ? ys : undefined),
    },
  };
}
