// Plotly figures from plain numbers and labels: heatmaps of attention weights, grids of heads,
// loss curves and bar charts. Knows nothing of the model; lib/display shows a figure in a notebook.
// Figures are plain JSON-ready objects ({data, layout}) that plotly.js draws as they are.
// Titles are always {text} objects: plotly.js 3 and later ignore plain-string titles.

export interface Title {
  text: string;
  standoff?: number; // axis titles: px between the tick labels and the title
}

export interface Axis {
  title?: Title;
  domain?: [number, number];
  anchor?: string; // the axis this one is drawn against in a subplot grid: "x2", "y3"
  type?: "linear" | "log";
  autorange?: boolean | "reversed";
  range?: [number, number]; // in log10 units on a log axis
  tickmode?: "array";
  tickvals?: number[];
  ticktext?: string[];
  tickformat?: string;
  hoverformat?: string;
  tickangle?: number;
  ticks?: "outside" | "";
  showticklabels?: boolean;
  showgrid?: boolean;
  gridcolor?: string;
  zeroline?: boolean;
  automargin?: boolean;
}

export interface HeatmapTrace {
  type: "heatmap";
  name?: string;
  z: (number | null)[][]; // [rows][cols]; null (from NaN or ±Infinity) is an empty cell
  x: number[]; // column positions 0..cols-1, named by the x axis ticktext
  y: number[]; // row positions 0..rows-1, named by the y axis ticktext
  customdata: string[][][]; // [rows][cols] -> [row label, column label], for the hover text
  hovertemplate: string;
  hoverongaps: boolean;
  texttemplate?: string;
  coloraxis: "coloraxis";
  xaxis?: string;
  yaxis?: string;
  visible?: boolean;
}

export interface ScatterTrace {
  type: "scatter";
  mode: "lines" | "lines+markers";
  name: string;
  x: number[];
  y: (number | null)[];
}

export interface BarTrace {
  type: "bar";
  name?: string;
  x: string[];
  y: (number | null)[];
  texttemplate?: string;
  textposition?: "outside";
}

export type Trace = HeatmapTrace | ScatterTrace | BarTrace;

export interface ColorAxis {
  colorscale: [number, string][];
  cmin?: number;
  cmax?: number;
  colorbar: { thickness: number; title?: Title };
}

export interface Annotation {
  text: string;
  x: number;
  y: number;
  xref: "paper";
  yref: "paper";
  xanchor: "center";
  yanchor: "bottom";
  showarrow: false;
  font: { size: number };
}

export interface MenuButton {
  label: string;
  method: "restyle";
  args: [{ visible: boolean[] }];
}

export interface UpdateMenu {
  type: "dropdown";
  active: number;
  buttons: MenuButton[];
  x: number;
  y: number;
  xanchor: "left";
  yanchor: "bottom";
}

export interface Margin {
  l: number;
  r: number;
  t: number;
  b: number;
}

export interface Layout {
  title?: Title;
  height: number;
  width?: number; // unset: as wide as the notebook output
  margin: Margin;
  font: { size: number };
  paper_bgcolor: string;
  plot_bgcolor: string;
  showlegend?: boolean;
  barmode?: "group";
  xaxis?: Axis;
  yaxis?: Axis;
  coloraxis?: ColorAxis;
  annotations?: Annotation[];
  updatemenus?: UpdateMenu[];
  [gridAxis: `xaxis${number}`]: Axis | undefined; // subplot axes: xaxis2, xaxis3, ...
  [gridAxis: `yaxis${number}`]: Axis | undefined;
}

export interface Figure {
  data: Trace[];
  layout: Layout;
}

// ---------------------------------------------------------------- shared look

const CHART_HEIGHT = 380;
const GRID_COLOR = "#e5e5e5";
const EMPTY_CELL_COLOR = "#d9d9d9"; // shows through where a heatmap value is null
// ColorBrewer "Blues": near-white at the low end, dark blue at the high end.
const BLUES: [number, string][] = [
  "#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b",
].map((color, i, all): [number, string] => [i / (all.length - 1), color]);
// Bar labels: exact counts with thousands separators ("16,384"), up to 6 significant digits.
const BAR_VALUE_FORMAT = ",~r";
// Short curves get a marker on each point, so that a single point (first step) is visible too.
const MAX_POINTS_WITH_MARKERS = 20;
// Values are printed inside heatmap cells when both sides have at most this many labels.
const MAX_LABELS_FOR_VALUES = 12;
const MAX_TOKENS_FOR_VALUES_IN_GRID = 6; // grid panels are smaller

function baseLayout(title: string | undefined, height: number): Layout {
  return {
    ...(title !== undefined && { title: { text: title } }),
    height,
    margin: { l: 60, r: 30, t: title !== undefined ? 50 : 20, b: 50 },
    font: { size: 12 },
    paper_bgcolor: "white",
    plot_bgcolor: "white",
  };
}

/** Plotly reads labels as HTML-like text: "<eos>" would vanish, so data labels are escaped. */
function escapeLabel(label: string): string {
  return label.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** NaN and ±Infinity have no JSON form; null makes plotly leave a gap (an empty cell). */
function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** The expected size of a matrix: one row per row label, one value per column label. */
interface MatrixShape {
  rows: number;
  cols: number;
  rowLabels: string; // what the row labels are called in messages, e.g. "query labels"
  colLabels: string;
}

/** Throws unless `matrix` fits `shape`; `what` names the matrix in the message. */
function checkMatrix(fn: string, what: string, matrix: number[][], shape: MatrixShape): void {
  if (!Array.isArray(matrix)) {
    throw new Error(`${fn}: ${what} is ${typeof matrix}; expected ${shape.rows} rows of ${shape.cols} values.`);
  }
  if (matrix.length !== shape.rows) {
    throw new Error(`${fn}: ${what} has ${matrix.length} rows but there are ${shape.rows} ${shape.rowLabels}.`);
  }
  matrix.forEach((row, i) => {
    if (!Array.isArray(row) && !ArrayBuffer.isView(row)) {
      throw new Error(`${fn}: row ${i} of ${what} is ${typeof row}; expected an array of ${shape.cols} values.`);
    }
    if (row.length !== shape.cols) {
      throw new Error(`${fn}: row ${i} of ${what} has ${row.length} values but there are ${shape.cols} ${shape.colLabels}.`);
    }
  });
}

// ---------------------------------------------------------------- heatmaps

export interface HeatmapOptions {
  title?: string;
  zmin?: number; // colour scale bounds; plotly takes them from the data when unset
  zmax?: number;
  rowTitle?: string; // y axis title and hover name of a row, e.g. "query"
  colTitle?: string; // x axis title and hover name of a column, e.g. "key"
  valueName?: string; // hover name of a cell value, e.g. "weight"
  showValues?: boolean; // print each value in its cell; default: when both sides have <= 12 labels
}

/** What rows, columns and values are called on the axes and in the hover text. */
type HeatmapNames = Required<Pick<HeatmapOptions, "rowTitle" | "colTitle" | "valueName">>;
const ATTENTION_NAMES: HeatmapNames = { rowTitle: "query", colTitle: "key", valueName: "weight" };

/**
 * Axis over positions 0..n-1 whose ticks show the labels. Numeric positions keep repeated
 * labels apart ("two plus two" has two rows called "two"); category labels would merge them.
 */
function labelAxis(labels: string[], title: string | undefined, showLabels: boolean): Axis {
  return {
    ...(title !== undefined && { title: { text: title, standoff: 8 } }), // standoff: below the labels
    tickmode: "array",
    tickvals: range(labels.length),
    ticktext: labels.map(escapeLabel),
    showticklabels: showLabels,
    ticks: showLabels ? "outside" : "",
    showgrid: false,
    zeroline: false,
    automargin: true,
  };
}

/** One heatmap trace: rows read top-down once its y axis is reversed (see labelAxis users). */
function heatmapTrace(
  matrix: number[][],
  rowLabels: string[],
  colLabels: string[],
  names: HeatmapNames,
  showValues: boolean,
): HeatmapTrace {
  const rows = rowLabels.map(escapeLabel);
  const cols = colLabels.map(escapeLabel);
  return {
    type: "heatmap",
    z: matrix.map((row) => Array.from(row, finiteOrNull)),
    x: range(cols.length),
    y: range(rows.length),
    customdata: rows.map((rowLabel) => cols.map((colLabel) => [rowLabel, colLabel])),
    hovertemplate:
      `${names.rowTitle}: %{customdata[0]}<br>${names.colTitle}: %{customdata[1]}<br>` +
      `${names.valueName}: %{z:.3f}<extra></extra>`,
    hoverongaps: false,
    ...(showValues && { texttemplate: "%{z:.2f}" }),
    coloraxis: "coloraxis",
  };
}

function colorAxis(zmin: number | undefined, zmax: number | undefined): ColorAxis {
  return {
    colorscale: BLUES,
    ...(zmin !== undefined && { cmin: zmin }),
    ...(zmax !== undefined && { cmax: zmax }),
    colorbar: { thickness: 14 },
  };
}

function defaultShowValues(rowCount: number, colCount: number): boolean {
  return rowCount <= MAX_LABELS_FOR_VALUES && colCount <= MAX_LABELS_FOR_VALUES;
}

/** Layout of a single heatmap: square-ish cells of 40 px, 240 to 460 px a side, first row on top. */
function heatmapLayout(rowLabels: string[], colLabels: string[], opts: HeatmapOptions): Layout {
  const side = (labelCount: number) => Math.min(460, Math.max(240, 40 * labelCount));
  const layout = baseLayout(opts.title, side(rowLabels.length) + 110);
  return {
    ...layout,
    width: side(colLabels.length) + 190,
    margin: { ...layout.margin, l: 80, b: 70 },
    plot_bgcolor: EMPTY_CELL_COLOR,
    xaxis: labelAxis(colLabels, opts.colTitle, true),
    yaxis: { ...labelAxis(rowLabels, opts.rowTitle, true), autorange: "reversed" },
    coloraxis: colorAxis(opts.zmin, opts.zmax),
  };
}

/** A rows x cols matrix as a heatmap, first row at the top, labelled cell by cell. */
export function matrixHeatmap(
  matrix: number[][],
  rowLabels: string[],
  colLabels: string[],
  opts: HeatmapOptions = {},
): Figure {
  const names: HeatmapNames = {
    rowTitle: opts.rowTitle ?? "row",
    colTitle: opts.colTitle ?? "column",
    valueName: opts.valueName ?? "value",
  };
  checkMatrix("matrixHeatmap", "the matrix", matrix, {
    rows: rowLabels.length,
    cols: colLabels.length,
    rowLabels: `${names.rowTitle} labels`,
    colLabels: `${names.colTitle} labels`,
  });
  if (rowLabels.length === 0 || colLabels.length === 0) {
    throw new Error(`matrixHeatmap: the matrix is ${rowLabels.length} x ${colLabels.length}; expected at least 1 x 1.`);
  }
  const showValues = opts.showValues ?? defaultShowValues(rowLabels.length, colLabels.length);
  return {
    data: [heatmapTrace(matrix, rowLabels, colLabels, names, showValues)],
    layout: heatmapLayout(rowLabels, colLabels, opts),
  };
}

export interface AttentionHeatmapOptions {
  title?: string;
  zmax?: number; // top of the colour scale; default 1 (weights are probabilities)
  showValues?: boolean;
}

/** Attention weights [Tq][Tk] as a heatmap: one row per query token, one column per key token. */
export function attentionHeatmap(
  weights: number[][],
  queryTokens: string[],
  keyTokens: string[],
  opts: AttentionHeatmapOptions = {},
): Figure {
  return matrixHeatmap(weights, queryTokens, keyTokens, {
    ...ATTENTION_NAMES,
    title: opts.title,
    zmin: 0,
    zmax: opts.zmax ?? 1,
    showValues: opts.showValues,
  });
}

// ---------------------------------------------------------------- one heatmap per layer and head

export interface HeadGridOptions {
  title?: string;
  zmax?: number; // top of the shared colour scale; default 1
  showValues?: boolean;
}

function headLabel(layer: number, head: number): string {
  return `layer ${layer + 1} · head ${head + 1}`;
}

/** Checks grid [L][H][T][T] against the T tokens and returns its heatmap traces, layer by layer. */
function headTraces(fn: string, grid: number[][][][], tokens: string[], showValues: boolean): HeatmapTrace[] {
  if (!Array.isArray(grid) || grid.length === 0 || !Array.isArray(grid[0]) || grid[0].length === 0) {
    throw new Error(`${fn}: expected weights indexed [layer][head][query][key] with at least one layer and head.`);
  }
  const heads = grid[0].length;
  return grid.flatMap((layerHeads, layer) => {
    if (!Array.isArray(layerHeads) || layerHeads.length !== heads) {
      const got = Array.isArray(layerHeads) ? layerHeads.length : typeof layerHeads;
      throw new Error(`${fn}: layer ${layer + 1} has ${got} heads; expected ${heads} like layer 1.`);
    }
    return layerHeads.map((weights, head) => {
      const shape = { rows: tokens.length, cols: tokens.length, rowLabels: "tokens", colLabels: "tokens" };
      checkMatrix(fn, headLabel(layer, head), weights, shape);
      return { ...heatmapTrace(weights, tokens, tokens, ATTENTION_NAMES, showValues), name: headLabel(layer, head) };
    });
  });
}

/** Attention of every head: a grid of heatmaps, one row per layer, one column per head, one colour scale. */
export function heatmapGrid(grid: number[][][][], tokens: string[], opts: HeadGridOptions = {}): Figure {
  const showValues = opts.showValues ?? tokens.length <= MAX_TOKENS_FOR_VALUES_IN_GRID;
  const traces = headTraces("heatmapGrid", grid, tokens, showValues);
  const layers = grid.length;
  const heads = grid[0].length;
  // Pixel sizes; the figure gets an explicit width and height so every panel is square.
  // Panels share 640 px (with margins the figure fits a notebook beside the file browser),
  // but keep 12 px per token so labels stay readable.
  const gapX = 16;
  const panel = Math.max(12 * tokens.length, Math.min(200, Math.floor((640 - gapX * (heads - 1)) / heads)));
  const gapY = 36; // room for the panel title of the row below
  const plotWidth = heads * panel + (heads - 1) * gapX;
  const plotHeight = layers * panel + (layers - 1) * gapY;
  const margin = { l: 100, r: 90, t: opts.title !== undefined ? 80 : 40, b: 100 };

  const layout: Layout = {
    ...baseLayout(opts.title, plotHeight + margin.t + margin.b),
    width: plotWidth + margin.l + margin.r,
    margin,
    plot_bgcolor: EMPTY_CELL_COLOR,
    coloraxis: colorAxis(0, opts.zmax ?? 1),
    annotations: [],
  };
  traces.forEach((trace, i) => {
    const layer = Math.floor(i / heads);
    const head = i % heads;
    const n = i + 1; // plotly names subplot axes x, x2, x3, ...
    const left = (head * (panel + gapX)) / plotWidth;
    const top = 1 - (layer * (panel + gapY)) / plotHeight;
    const xDomain: [number, number] = [left, left + panel / plotWidth];
    const yDomain: [number, number] = [top - panel / plotHeight, top];
    trace.xaxis = n === 1 ? "x" : `x${n}`;
    trace.yaxis = n === 1 ? "y" : `y${n}`;
    const bottomRow = layer === layers - 1;
    const firstColumn = head === 0;
    const xaxis: Axis = {
      ...labelAxis(tokens, bottomRow ? "key" : undefined, bottomRow),
      tickangle: -45, // narrow panels; a fixed angle also keeps the axis title below the labels
      domain: xDomain,
      anchor: trace.yaxis,
    };
    const yaxis: Axis = {
      ...labelAxis(tokens, firstColumn ? "query" : undefined, firstColumn),
      domain: yDomain,
      anchor: trace.xaxis,
      autorange: "reversed",
    };
    layout[n === 1 ? "xaxis" : (`xaxis${n}` as const)] = xaxis;
    layout[n === 1 ? "yaxis" : (`yaxis${n}` as const)] = yaxis;
    layout.annotations!.push({
      text: layers === 1 ? `head ${head + 1}` : headLabel(layer, head), // one layer: short titles fit narrow panels
      x: (xDomain[0] + xDomain[1]) / 2,
      y: top,
      xref: "paper",
      yref: "paper",
      xanchor: "center",
      yanchor: "bottom",
      showarrow: false,
      font: { size: 12 },
    });
  });
  return { data: traces, layout };
}

/** Attention of every head, one at a time: a single heatmap with a dropdown to pick layer and head. */
export function heatmapDropdown(grid: number[][][][], tokens: string[], opts: HeadGridOptions = {}): Figure {
  const showValues = opts.showValues ?? defaultShowValues(tokens.length, tokens.length);
  const traces = headTraces("heatmapDropdown", grid, tokens, showValues);
  traces.forEach((trace, i) => (trace.visible = i === 0));
  const single = heatmapLayout(tokens, tokens, { ...ATTENTION_NAMES, title: opts.title, zmin: 0, zmax: opts.zmax ?? 1 });
  const buttons = traces.map(
    (trace, i): MenuButton => ({
      label: trace.name ?? "",
      method: "restyle",
      args: [{ visible: traces.map((_, j) => j === i) }],
    }),
  );
  return {
    data: traces,
    layout: {
      ...single,
      margin: { ...single.margin, t: single.margin.t + 40 }, // room for the dropdown
      height: single.height + 40,
      updatemenus: [{ type: "dropdown", active: 0, buttons, x: 0, y: 1.02, xanchor: "left", yanchor: "bottom" }],
    },
  };
}

// ---------------------------------------------------------------- curves and bars

export interface Series {
  name: string;
  x: number[];
  y: number[];
}

export interface ChartOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  yRange?: [number, number]; // in data units, also on a log axis
  yFormat?: string; // d3 format for y ticks, hover and bar labels, e.g. ".0%" for accuracy
}

export interface LineChartOptions extends ChartOptions {
  logY?: boolean;
  logX?: boolean; // e.g. time against context length T = 16, 32, ..., 2048: equal steps for each doubling
}

function valueAxis(opts: ChartOptions, logY: boolean): Axis {
  const yRange = opts.yRange && (logY ? opts.yRange.map(Math.log10) : opts.yRange);
  return {
    ...(opts.yTitle !== undefined && { title: { text: opts.yTitle } }),
    ...(logY && { type: "log", tickformat: "~g" }), // full numbers (0.5), not bare digits (5)
    ...(yRange && { range: [yRange[0], yRange[1]] }),
    ...(opts.yFormat !== undefined && { tickformat: opts.yFormat, hoverformat: opts.yFormat }),
    gridcolor: GRID_COLOR,
    zeroline: false,
    automargin: true,
  };
}

function xAxis(title: string | undefined): Axis {
  return { ...(title !== undefined && { title: { text: title } }), gridcolor: GRID_COLOR, zeroline: false, automargin: true };
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
  const data = series.map((s): ScatterTrace => {
    if (s.x.length !== s.y.length) {
      throw new Error(`lineChart: series "${s.name}" has ${s.x.length} x values but ${s.y.length} y values.`);
    }
    return {
      type: "scatter",
      mode: s.x.length <= MAX_POINTS_WITH_MARKERS ? "lines+markers" : "lines",
      name: escapeLabel(s.name),
      x: Array.from(s.x),
      y: Array.from(s.y, finiteOrNull),
    };
  });
  return {
    data,
    layout: {
      ...baseLayout(opts.title, CHART_HEIGHT),
      showlegend: series.length > 1,
      xaxis: { ...xAxis(opts.xTitle), ...(opts.logX && { type: "log", tickformat: "~g" }) },
      yaxis: valueAxis(opts, opts.logY ?? false),
    },
  };
}

export interface BarGroup {
  name: string;
  values: number[];
}

export interface BarChartOptions extends ChartOptions {
  showValues?: boolean; // print each value above its bar; default true
}

/** One bar per label, or groups of bars side by side: [{name: "train", values}, {name: "test", values}]. */
export function barChart(labels: string[], values: number[] | BarGroup[], opts: BarChartOptions = {}): Figure {
  const seen = new Set<string>();
  for (const label of labels) {
    if (seen.has(label)) throw new Error(`barChart: label "${label}" appears twice; bar labels must be unique.`);
    seen.add(label);
  }
  const groups: BarGroup[] = (values as (number | BarGroup)[]).every((v) => typeof v === "number")
    ? [{ name: "", values: values as number[] }]
    : (values as BarGroup[]);
  const x = labels.map(escapeLabel);
  const showValues = opts.showValues ?? true;
  const data = groups.map((group): BarTrace => {
    if (group.values.length !== labels.length) {
      const what = group.name === "" ? "values" : `values in group "${group.name}"`;
      throw new Error(`barChart: got ${group.values.length} ${what} but ${labels.length} labels; expected one value per label.`);
    }
    return {
      type: "bar",
      ...(group.name !== "" && { name: escapeLabel(group.name) }),
      x,
      y: Array.from(group.values, finiteOrNull),
      ...(showValues && { texttemplate: `%{y:${opts.yFormat ?? BAR_VALUE_FORMAT}}`, textposition: "outside" }),
    };
  });
  return {
    data,
    layout: {
      ...baseLayout(opts.title, CHART_HEIGHT),
      showlegend: groups.length > 1,
      ...(groups.length > 1 && { barmode: "group" }),
      xaxis: xAxis(opts.xTitle),
      yaxis: valueAxis(opts, false),
    },
  };
}
