// Notebook 6 imports its helpers from here in one line, so that its first cell shows only the parts
// a learner builds with (data, model, optimizer, trainer): the settings checks, tables and figures,
// live training, the exercise checks and the analysis after training.
export { checkSeconds, checkShippedKnobs, checkSteps, modelFromKnobs } from "./settings";
export { SHIPPED, loadShipped, readShippedMetadata, shippedModel } from "../ladder/results";
export { DEFAULT_TRAIN_CONFIG } from "../train";
export { defaultWorkerCount } from "../training/shards";
export { remake } from "./remake";
export { checkExercise } from "./exercise";
export { checkTrainingStep } from "./training-step";
export { checkTakeaway } from "./takeaway";
export { livePlot, show, showTable } from "./display";
export { barChart, heatmapDropdown, heatmapGrid, lineChart, matrixHeatmap } from "./plot";
export { liveLine, shippedRun, trainLive } from "./live-training";
export { USEFUL_ACCURACY, answerChanges, rightFrom, underTrainedMark, underTrainedWarning } from "./progress";
export type { AnswersAt } from "./progress";
export { factGroups, labelledGroups } from "../analysis/memorising";
export { attentionOnProblem, jobsByOperation, readersPerProblem, roleWeights, routingSeries, routingSnapshot, specialists, typicalProblem, weightOnRole } from "../analysis/inspect";
export type { RoutingSnapshot } from "../analysis/inspect";
export { loadCheckpoint, saveCheckpoint } from "../training/checkpoint";
