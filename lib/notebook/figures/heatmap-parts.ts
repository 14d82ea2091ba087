// Pieces shared by the heatmap figures (one matrix, a grid of heads, a dropdown of heads):
// label axes, one heatmap trace, the colour scale, and the checked traces of every head.
import type { Axis, ColorAxis, HeatmapTrace } from "../plot-types";
import { BLUES, RED_BLUE, checkMatrix, escapeLabel, finiteOrNull, range } from "../plot-style";

/** What rows, columns and values are called on the axes and in the hover text. */
export interface HeatmapNames {
  rowTitle: string; // e.g. "query"
  colTitle: string; // e.g. "key"
  valueName: string; // e.g. "weight"
}
export const ATTENTION_NAMES: HeatmapNames = { rowTitle: "query", colTitle: "key", valueName: "weight" };

// Values are printed inside heatmap cells when both sides have at most this many labels.
const MAX_LABELS_FOR_VALUES = 12;

export function defaultShowValues(rowCount: number, colCount: number): boolean {
  return rowCount <= MAX_LABELS_FOR_VALUES && colCount <= MAX_LABELS_FOR_VALUES;
}

/**
 * Axis over positions 0..n-1 whose ticks show the labels. Numeric positions keep repeated
 * labels apart ("two plus two" has two rows called "two"); category labels would merge them.
 */
export function labelAxis(labels: string[], title: string | undefined, showLabels: boolean): Axis {
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

/** One heatmap trace: rows read top-down once its y axis is reversed (autorange "reversed"). */
export function heatmapTrace(
  matrix: number[][],
  rowLabels: string[],
  colLabels: string[],
  names: HeatmapNames,
  showValues: boolean,
  valueFormat = ".2f", // d3 format of the printed values
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
    ...(showValues && { texttemplate: `%{z:${valueFormat}}` }),
    coloraxis: "coloraxis",
  };
}

/** One colour scale for a figure's heatmaps, titled with what a value is; `signed`: red below 0, blue above, white at 0. */
export function colorAxis(zmin: number | undefined, zmax: number | undefined, valueName: string, signed = false): ColorAxis {
  return {
    colorscale: signed ? RED_BLUE : BLUES,
    ...(zmin !== undefined && { cmin: zmin }),
    ...(zmax !== undefined && { cmax: zmax }),
    ...(signed && { cmid: 0 }),
    colorbar: { thickness: 14, title: { text: valueName } },
  };
}

export function headLabel(layer: number, head: number): string {
  return `layer ${layer + 1} · head ${head + 1}`;
}

/** Checks grid [L][H][T][T] against the T tokens and returns its heatmap traces, layer by layer. */
export function headTraces(fn: string, grid: number[][][][], tokens: string[], showValues: boolean): HeatmapTrace[] {
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
