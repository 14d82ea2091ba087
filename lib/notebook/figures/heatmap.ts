// One matrix as a heatmap (attention weights, scores, embeddings), and every head of a model
// one at a time behind a dropdown.
import type { Figure, Layout, MenuButton } from "../plot-types";
import { EMPTY_CELL_COLOR, baseLayout, checkMatrix } from "../plot-style";
import {
  ATTENTION_NAMES, HeatmapNames, colorAxis, defaultShowValues, headTraces, heatmapTrace, labelAxis,
} from "./heatmap-parts";

const COLORBAR_ROOM = 40; // px above the heatmap for its horizontal colour bar
const DROPDOWN_ROOM = 40; // px above the colour bar for the dropdown of heatmapDropdown

export interface HeatmapOptions {
  title?: string;
  zmin?: number; // colour scale bounds; plotly takes them from the data when unset
  zmax?: number;
  rowTitle?: string; // y axis title and hover name of a row, e.g. "query"
  colTitle?: string; // x axis title and hover name of a column, e.g. "key"
  valueName?: string; // hover name of a cell value, e.g. "weight"
  valueFormat?: string; // d3 format of the printed values (default ".2f")
  showValues?: boolean; // print each value in its cell; default: when both sides have <= 12 labels
}

/**
 * Layout of a single heatmap: square cells of about 40 px (240 to 460 px a side), first row on top.
 * The figure has no fixed width: JupyterLab's plotly renderer saves a PNG snapshot drawn at the
 * full output width and shows it when the notebook is reopened, so a fixed-width figure would come
 * back stretched. Instead the y axis keeps the cells square (scaleanchor) and the heatmap keeps to
 * the left at any width, with its colour bar as a short horizontal strip above it.
 */
function heatmapLayout(rowLabels: string[], colLabels: string[], opts: HeatmapOptions, signed = false): Layout {
  const side = (labelCount: number) => Math.min(460, Math.max(240, 40 * labelCount));
  const base = baseLayout(opts.title, side(rowLabels.length) + 110);
  const margin = { ...base.margin, l: 80, b: 70, t: base.margin.t + COLORBAR_ROOM };
  return {
    ...base,
    ...(base.title && { title: { ...base.title, x: 0, xref: "paper", xanchor: "left" } }),
    height: base.height + COLORBAR_ROOM,
    margin,
    plot_bgcolor: EMPTY_CELL_COLOR,
    xaxis: { ...labelAxis(colLabels, opts.colTitle, true), constrain: "domain", constraintoward: "left" },
    yaxis: {
      ...labelAxis(rowLabels, opts.rowTitle, true),
      autorange: "reversed",
      scaleanchor: "x",
      constrain: "domain",
      constraintoward: "top",
    },
    coloraxis: {
      ...colorAxis(opts.zmin, opts.zmax, opts.valueName ?? "value", signed),
      colorbar: {
        orientation: "h", thickness: 12, len: 200, lenmode: "pixels", x: 0, xanchor: "left", y: 1.02, yanchor: "bottom",
        title: { text: opts.valueName ?? "value", side: "right" },
      },
    },
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
  const values = matrix.flat().filter(Number.isFinite);
  const signed = opts.zmin === undefined && values.some((v) => v < 0) && values.some((v) => v > 0); // red below 0, blue above
  return {
    data: [heatmapTrace(matrix, rowLabels, colLabels, names, showValues, opts.valueFormat)],
    layout: heatmapLayout(rowLabels, colLabels, opts, signed),
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

export interface HeadGridOptions {
  title?: string;
  zmax?: number; // top of the shared colour scale; default 1
  showValues?: boolean;
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
  const plotHeight = single.height - single.margin.t - single.margin.b;
  const aboveColorBar = 1 + (COLORBAR_ROOM + 8) / plotHeight; // paper fraction just above the colour bar
  return {
    data: traces,
    layout: {
      ...single,
      margin: { ...single.margin, t: single.margin.t + DROPDOWN_ROOM },
      height: single.height + DROPDOWN_ROOM,
      updatemenus: [{ type: "dropdown", active: 0, buttons, x: 0, y: aboveColorBar, xanchor: "left", yanchor: "bottom" }],
    },
  };
}
