// Attention of every head at once: a grid of small heatmaps sharing one colour scale. Each layer
// takes one row of panels, or several when it has more than 4 heads, so that 8 or 16 heads stay
// readable in a notebook beside the file browser.
import type { Annotation, Axis, Figure, Layout } from "../plot-types";
import { EMPTY_CELL_COLOR, FONT_SIZE, baseLayout, extraTitleRoom } from "../plot-style";
import { ATTENTION_NAMES, colorAxis, headLabel, headTraces, labelAxis } from "./heatmap-parts";
import type { HeadGridOptions } from "./heatmap";

export const MAX_HEADS_PER_ROW = 4;
const MAX_TOKENS_FOR_VALUES_IN_GRID = 7; // the course's "[START] six times eight = forty eight"; more cells are too small for numbers
// px the panels of a row take at most: JupyterLab at 1,440 px with the file browser open leaves 1,008 px
// for a figure, 818 of them inside the margins below
const GRID_PLOT_WIDTH = 800;
const MAX_PANEL = 200;
const MIN_PX_PER_TOKEN = 12; // below this, token labels run into one another
const GAP_X = 16;
const GAP_Y = 36; // room for the panel title of the row below

/** Where a head's panel sits: its row and column in the grid. */
export function panelPosition(layer: number, head: number, heads: number): { row: number; col: number } {
  const cols = Math.min(heads, MAX_HEADS_PER_ROW);
  const rowsPerLayer = Math.ceil(heads / cols);
  return { row: layer * rowsPerLayer + Math.floor(head / cols), col: head % cols };
}

/** Attention of every head: a grid of heatmaps, rows of layers (wrapped after 4 heads), one colour scale. */
export function heatmapGrid(grid: number[][][][], tokens: string[], opts: HeadGridOptions = {}): Figure {
  const showValues = opts.showValues ?? tokens.length <= MAX_TOKENS_FOR_VALUES_IN_GRID;
  const traces = headTraces("heatmapGrid", grid, tokens, showValues);
  const layers = grid.length;
  const heads = grid[0].length;
  const cols = Math.min(heads, MAX_HEADS_PER_ROW);
  const rows = layers * Math.ceil(heads / cols);
  // Panel height in px; each panel's y axis keeps it square (scaleanchor). The figure has no fixed
  // width, for the same reason as a single heatmap (see figures/heatmap): each row of panels spreads
  // over the output width, and each panel keeps to the middle of its share.
  const panel = Math.max(
    MIN_PX_PER_TOKEN * tokens.length,
    Math.min(MAX_PANEL, Math.floor((GRID_PLOT_WIDTH - GAP_X * (cols - 1)) / cols)),
  );
  const plotWidth = cols * panel + (cols - 1) * GAP_X; // the narrowest width at which panels keep their size
  const plotHeight = rows * panel + (rows - 1) * GAP_Y;
  const margin = { l: 100, r: 90, t: (opts.title !== undefined ? 80 : 40) + extraTitleRoom(opts.title), b: 100 };

  const layout: Layout = {
    ...baseLayout(opts.title, plotHeight + margin.t + margin.b),
    margin,
    plot_bgcolor: EMPTY_CELL_COLOR,
    coloraxis: colorAxis(0, opts.zmax ?? 1, ATTENTION_NAMES.valueName),
  };
  const annotations: Annotation[] = [];
  traces.forEach((trace, i) => {
    const layer = Math.floor(i / heads);
    const head = i % heads;
    const { row, col } = panelPosition(layer, head, heads);
    const n = i + 1; // plotly names subplot axes x, x2, x3, ...
    const left = (col * (panel + GAP_X)) / plotWidth;
    const top = 1 - (row * (panel + GAP_Y)) / plotHeight;
    const xDomain: [number, number] = [left, left + panel / plotWidth];
    const yDomain: [number, number] = [top - panel / plotHeight, top];
    trace.xaxis = n === 1 ? "x" : `x${n}`;
    trace.yaxis = n === 1 ? "y" : `y${n}`;
    const lowestInColumn = layer === layers - 1 && head + cols >= heads; // no panel below it
    const firstColumn = col === 0;
    const xaxis: Axis = {
      ...labelAxis(tokens, lowestInColumn ? "key" : undefined, lowestInColumn),
      tickangle: -45, // narrow panels; a fixed angle also keeps the axis title below the labels
      domain: xDomain,
      anchor: trace.yaxis,
      constrain: "domain",
      constraintoward: "center",
    };
    const yaxis: Axis = {
      ...labelAxis(tokens, firstColumn ? "query" : undefined, firstColumn),
      domain: yDomain,
      anchor: trace.xaxis,
      autorange: "reversed",
      scaleanchor: trace.xaxis,
      constrain: "domain",
      constraintoward: "top",
    };
    layout[n === 1 ? "xaxis" : (`xaxis${n}` as const)] = xaxis;
    layout[n === 1 ? "yaxis" : (`yaxis${n}` as const)] = yaxis;
    annotations.push({
      text: layers === 1 ? `head ${head + 1}` : headLabel(layer, head), // one layer: short titles
      x: (xDomain[0] + xDomain[1]) / 2,
      y: top,
      xref: "paper",
      yref: "paper",
      xanchor: "center",
      yanchor: "bottom",
      showarrow: false,
      font: { size: FONT_SIZE },
    });
  });
  return { data: traces, layout: { ...layout, annotations } };
}
