// Plotly figures from plain numbers and labels: heatmaps of attention weights, grids of heads,
// loss curves and bar charts. Knows nothing of the model; lib/notebook/display shows a figure in a notebook.
// The figure types are in plot-types, the shared look in plot-style, each builder in lib/notebook/figures.
export * from "./plot-types";
export * from "./figures/heatmap";
export { heatmapGrid } from "./figures/head-grid";
export * from "./figures/line-chart";
export * from "./figures/line-grid";
export * from "./figures/bar-chart";
export type { ChartOptions } from "./figures/value-axis";
