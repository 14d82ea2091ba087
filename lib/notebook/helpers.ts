// What a notebook needs around the model, in one import (`from "./lib/notebook/helpers"`): showing tables
// and figures, the exercise and takeaway checks, and re-runnable cells.
export { show, showMatrix, showTable } from "./display";
export { checkClose, checkExercise } from "./exercise";
export { checkTakeaway } from "./takeaway";
export { percent } from "./format";
export { remake } from "./remake";
export { barChart, heatmapDropdown, heatmapGrid, lineChart, matrixHeatmap } from "./plot";
