// Shows lib/notebook/plot figures in a tslab notebook as plotly outputs, which JupyterLab draws with the
// renderer of the Python `plotly` package and keeps in the saved notebook (the figure's JSON alone,
// no copy of plotly.js).
// Outside a kernel (vitest, node scripts) tslab cannot display anything, so a figure becomes
// a one-line summary on stdout instead of an error.
import * as tslab from "tslab";
import type { Tensor } from "@tensorflow/tfjs";
import type { Figure } from "./plot";

export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** tslab's display throws this message when no Jupyter kernel is running (tslab 1.0.22). */
const NO_KERNEL_MESSAGE = "Not ready";

/** 'plot "Loss": 2 scatter traces' — a figure in one line of text. */
export function describeFigure(fig: Figure): string {
  const counts = new Map<string, number>();
  for (const trace of fig.data) counts.set(trace.type, (counts.get(trace.type) ?? 0) + 1);
  const traces = [...counts].map(([type, n]) => `${n} ${type} trace${n === 1 ? "" : "s"}`).join(", ");
  const title = fig.layout.title ? `"${fig.layout.title.text}"` : "(untitled)";
  return `plot ${title}: ${traces || "no traces"}`;
}

/**
 * Sends the figure to `output`, or prints its summary when no kernel is running.
 * `redraw`: JupyterLab's plotly renderer ignores a new figure sent to an output it has already
 * drawn, so the output first becomes a line of text, and JupyterLab then draws the figure afresh.
 */
function emit(output: tslab.Display, fig: Figure, redraw: boolean): void {
  try {
    if (redraw) output.text(describeFigure(fig));
    // The figure goes as an object: tslab's typing says string, but a JSON string would be
    // sent as a string, which the plotly renderer cannot read and the notebook shows blank.
    output.raw(PLOTLY_MIME, fig as unknown as string);
  } catch (err) {
    if (!(err instanceof Error && err.message === NO_KERNEL_MESSAGE)) throw err;
    console.log(`${describeFigure(fig)} (not shown: no Jupyter kernel)`);
  }
}

/** A markdown table (shape tables, parameter counts, answers during training); printed as text outside a kernel. */
export function showTable(headers: string[], rows: (string | number)[][]): void {
  for (const row of rows) {
    if (row.length !== headers.length) throw new Error(`showTable: a row has ${row.length} cells but there are ${headers.length} headers.`);
  }
  const line = (cells: (string | number)[]) => `| ${cells.map((c) => String(c).replace(/\|/g, "\\|")).join(" | ")} |`;
  const markdown = [line(headers), line(headers.map(() => "---")), ...rows.map(line)].join("\n");
  try {
    tslab.display.markdown(markdown);
  } catch (err) {
    if (!(err instanceof Error && err.message === NO_KERNEL_MESSAGE)) throw err;
    console.log(markdown);
  }
}

/** A number in a matrix table: `decimals` places; ±Infinity (a masked score) as -inf / inf, NaN as NaN. */
export function formatEntry(value: number, decimals = 2): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value < 0 ? "-inf" : "inf";
  return value.toFixed(decimals);
}

/** A 2-D tensor or [rows][cols] numbers as a table: one labelled row per row, entries rounded to `decimals`. */
export function showMatrix(matrix: Tensor | number[][], rowLabels: string[], colLabels: string[], decimals = 2): void {
  const rows = Array.isArray(matrix) ? matrix : (matrix.arraySync() as number[][]);
  if (!Array.isArray(rows) || !rows.every(Array.isArray)) {
    throw new Error(`showMatrix: expected a 2-D matrix; got ${Array.isArray(matrix) ? "an array that is not [rows][cols]" : `a tensor of shape [${matrix.shape}]`}.`);
  }
  if (rows.length !== rowLabels.length) throw new Error(`showMatrix: ${rows.length} rows but ${rowLabels.length} row labels.`);
  rows.forEach((row, i) => {
    if (row.length !== colLabels.length) throw new Error(`showMatrix: row ${i} has ${row.length} entries but there are ${colLabels.length} column labels.`);
  });
  showTable(["", ...colLabels], rows.map((row, i) => [rowLabels[i], ...row.map((v) => formatEntry(v, decimals))]));
}

/** Draws a figure as a new output of the running cell. */
export function show(fig: Figure): void {
  emit(tslab.display, fig, false);
}

export interface LivePlot {
  /** Replaces the figure drawn by the previous update (the first update draws it). */
  update(fig: Figure): void;
}

/**
 * One output that redraws in place, e.g. a loss curve during training:
 * `const live = livePlot(); ... live.update(lineChart([...]))`. Each update sends the whole
 * figure and JupyterLab redraws it from scratch, so update every second or so, not every step.
 */
export function livePlot(): LivePlot {
  const output = tslab.newDisplay();
  let drawn = false;
  return {
    update(fig) {
      emit(output, fig, drawn);
      drawn = true;
    },
  };
}
