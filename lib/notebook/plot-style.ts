// The look every lib/notebook/figures builder shares: sizes, colours, margins and the small helpers that
// turn the course's numbers and labels into values plotly reads safely.
import type { Axis, Layout } from "./plot-types";

export const CHART_HEIGHT = 380;
export const GRID_COLOR = "#e5e5e5";
export const EMPTY_CELL_COLOR = "#d9d9d9"; // shows through where a heatmap value is null
// ColorBrewer "Blues": near-white at the low end, dark blue at the high end.
export const BLUES: [number, string][] = [
  "#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b",
].map((color, i, all): [number, string] => [i / (all.length - 1), color]);
// ColorBrewer "RdBu" for values of both signs: red below 0, white at 0, blue above.
export const RED_BLUE: [number, string][] = [
  "#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#f7f7f7", "#d1e5f0", "#92c5de", "#4393c3", "#2166ac",
].map((color, i, all): [number, string] => [i / (all.length - 1), color]);
export const FONT_SIZE = 12;

/** Characters of a figure title per line: a longer title is broken between words, so that it fits beside the file browser. */
export const TITLE_LINE = 90;

/** `title` with "<br>" between words where a line would pass TITLE_LINE characters. */
export function wrapTitle(title: string): string {
  const lines: string[] = [];
  for (const word of title.split(" ")) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + word.length <= TITLE_LINE) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines.join("<br>");
}

/** The extra room, in px, that a title broken into several lines needs above the plot (0 for one line or none). */
export function extraTitleRoom(title: string | undefined): number {
  return title === undefined ? 0 : 20 * (wrapTitle(title).split("<br>").length - 1);
}

/** Title, height, margins, font and white background; width is left to the notebook output. */
export function baseLayout(title: string | undefined, height: number): Layout {
  return {
    ...(title !== undefined && { title: { text: wrapTitle(title) } }),
    height,
    margin: { l: 60, r: 30, t: (title !== undefined ? 50 : 20) + extraTitleRoom(title), b: 50 },
    font: { size: FONT_SIZE },
    paper_bgcolor: "white",
    plot_bgcolor: "white",
  };
}

/** Plotly reads labels as HTML-like text: "<eos>" would vanish, so data labels are escaped. */
export function escapeLabel(label: string): string {
  return label.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** NaN and ±Infinity have no JSON form; null makes plotly leave a gap (an empty cell). */
export function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** A plain axis with light grid lines and an optional title. */
export function plainAxis(title: string | undefined): Axis {
  return { ...(title !== undefined && { title: { text: title } }), gridcolor: GRID_COLOR, zeroline: false, automargin: true };
}

/** The expected size of a matrix: one row per row label, one value per column label. */
export interface MatrixShape {
  rows: number;
  cols: number;
  rowLabels: string; // what the row labels are called in messages, e.g. "query labels"
  colLabels: string;
}

/** Throws unless `matrix` fits `shape`; `what` names the matrix in the message. */
export function checkMatrix(fn: string, what: string, matrix: number[][], shape: MatrixShape): void {
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
