// Small multiples: one small line chart per panel, all on the same axes, so that many curves can be
// compared without drawing them over one another. In each panel the first series is drawn in colour
// and any others in grey, as references (e.g. every ladder variant against the course model).
import type { Annotation, Axis, Figure, Layout, ScatterTrace } from "../plot-types";
import { FONT_SIZE, baseLayout, escapeLabel, finiteOrNull, plainAxis, extraTitleRoom } from "../plot-style";
import { Series, LineChartOptions } from "./line-chart";
import { wholeStepTicks } from "./ticks";
import { valueAxis } from "./value-axis";

export interface Panel {
  title: string;
  series: Series[]; // the first in colour, the rest grey
}

export interface LineGridOptions extends LineChartOptions {
  columns?: number; // panels per row (default 4)
}

const PANEL_HEIGHT = 170; // px
const GAP_Y = 50; // px between rows: room for the x tick labels and the next row's panel titles
const GAP_X = 0.05; // of the figure's width, between columns
const MAIN = { color: "#1f77b4", width: 2 };
const REFERENCE = { color: "#9e9e9e", width: 1.5, dash: "dot" as const };

/** One small chart per panel, sharing the x and y ranges; x titles on the bottom row, y titles on the first column. */
export function lineGrid(panels: Panel[], opts: LineGridOptions = {}): Figure {
  const columns = opts.columns ?? 4;
  if (!Number.isInteger(columns) || columns < 1) throw new Error(`lineGrid: columns must be a whole number >= 1, got ${columns}.`);
  if (panels.length === 0 || panels.some((p) => p.series.length === 0)) throw new Error("lineGrid: every panel needs at least one series, and there must be a panel.");
  const rows = Math.ceil(panels.length / columns);
  const all = panels.flatMap((p) => p.series);
  const xs = all.flatMap((s) => s.x);
  const ys = all.flatMap((s) => s.y).filter((y) => Number.isFinite(y) && (!opts.logY || y > 0));
  const yRange = opts.yRange ?? (ys.length > 0 ? [Math.min(...ys), Math.max(...ys)] as [number, number] : undefined);
  const plotHeight = rows * PANEL_HEIGHT + (rows - 1) * GAP_Y;
  const margin = { l: 70, r: 30, t: (opts.title !== undefined ? 70 : 30) + extraTitleRoom(opts.title), b: 60 };
  const layout: Layout = { ...baseLayout(opts.title, plotHeight + margin.t + margin.b), margin, showlegend: false };
  const annotations: Annotation[] = [];
  const data: ScatterTrace[] = [];
  panels.forEach((panel, i) => {
    const [row, col] = [Math.floor(i / columns), i % columns];
    const n = i + 1; // plotly names subplot axes x, x2, x3, ...
    const [xName, yName] = n === 1 ? ["x", "y"] : [`x${n}`, `y${n}`];
    const width = (1 - GAP_X * (columns - 1)) / columns;
    const left = col * (width + GAP_X);
    const top = 1 - (row * (PANEL_HEIGHT + GAP_Y)) / plotHeight;
    const bottomOfColumn = i + columns >= panels.length;
    const xaxis: Axis = {
      ...plainAxis(bottomOfColumn ? opts.xTitle : undefined),
      ...(xs.every(Number.isInteger) && wholeStepTicks(xs)),
      ...(xs.length > 0 && { range: [Math.min(...xs), Math.max(...xs)] as [number, number] }),
      domain: [left, left + width],
      anchor: yName,
    };
    const yaxis: Axis = {
      ...valueAxis({ ...opts, yTitle: col === 0 ? opts.yTitle : undefined, yRange }, opts.logY ? ys : undefined),
      domain: [top - PANEL_HEIGHT / plotHeight, top],
      anchor: xName,
    };
    layout[n === 1 ? "xaxis" : (`xaxis${n}` as const)] = xaxis;
    layout[n === 1 ? "yaxis" : (`yaxis${n}` as const)] = yaxis;
    panel.series.forEach((s, k) => {
      if (s.x.length !== s.y.length) throw new Error(`lineGrid: series "${s.name}" has ${s.x.length} x values but ${s.y.length} y values.`);
      data.push({
        type: "scatter", mode: "lines", name: escapeLabel(s.name), x: Array.from(s.x), y: Array.from(s.y, finiteOrNull),
        line: k === 0 ? MAIN : REFERENCE, xaxis: xName, yaxis: yName,
      });
    });
    annotations.push({
      text: escapeLabel(panel.title), x: left + width / 2, y: top, xref: "paper", yref: "paper",
      xanchor: "center", yanchor: "bottom", showarrow: false, font: { size: FONT_SIZE },
    });
  });
  // references are drawn first, so that each panel's own curve lies on top
  data.sort((a, b) => Number(a.line === MAIN) - Number(b.line === MAIN));
  return { data, layout: { ...layout, annotations } };
}
