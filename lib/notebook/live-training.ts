// Notebook 6's training run with live outputs: a progress line, the loss curve and the held-out
// exact match per operation, redrawn while lib's runTraining trains on the worker threads. The
// clocks and callbacks live here, so that the notebook's training cell shows only what it trains
// and for how long.
import * as tslab from "tslab";
import { OPERATIONS, Problem } from "../data";
import type { LivePlot } from "./display";
import { evaluate } from "../generate";
import { Figure, lineChart } from "./plot";
import { finishedLine, measuringLine, progressLine, underTrainedMark } from "./progress";
import { Transformer } from "../model";
import type { ShippedMetadata } from "../ladder/results";
import { EvalInfo, ScheduleFit, Trainer, runTraining } from "../train";

const count = (n: number) => n.toLocaleString("en-US");

/** One line of text that a cell rewrites in place (the progress line). */
export interface LiveLine {
  text(line: string): void;
}

/** tslab's display throws this message when no Jupyter kernel is running (as in lib/notebook/display). */
const NO_KERNEL_MESSAGE = "Not ready";

/** A LiveLine in the running cell's output; printed line by line outside a Jupyter kernel. */
export function liveLine(): LiveLine {
  const output = tslab.newDisplay();
  return {
    text(line) {
      try {
        output.text(line);
      } catch (err) {
        if (!(err instanceof Error && err.message === NO_KERNEL_MESSAGE)) throw err;
        console.log(line);
      }
    },
  };
}

export interface LiveTrainingOptions {
  test: readonly Problem[]; // evaluated before training, every `evalEvery` steps and at the end
  evalEvery: number;
  timeBudgetSeconds: number; // the schedule is sized to end with it
  redrawSeconds: number; // the progress line and the loss curve redraw this often
  progress: LiveLine;
  lossPlot: LivePlot;
  accuracyPlot: LivePlot;
  onEval?: (info: EvalInfo) => void; // after every evaluation, the one before training included
}

export interface LiveRun {
  steps: number; // steps trained
  losses: number[]; // the loss of every step, 4 significant digits (empty for the shipped model)
  lossMeans: { first: number; last: number; over: number }; // mean loss over the first and the last `over` steps
  evals: EvalInfo[]; // on the held-out problems: at step 0 (before training), every evalEvery steps, and at the last step
  fit?: ScheduleFit; // how the schedule was sized to the budget
  seconds: number; // training time, evaluations not included
  wallSeconds: number; // with the evaluations
}

/**
 * The step at which runTraining sizes the schedule for the last time (lib/train's fitWindows: at
 * step 10 to 50 during warm-up, again at the end of a longer warm-up). Until then the progress line
 * shows no total, so that it shows only one.
 */
export function scheduleSizedAt(warmupSteps: number): number {
  return Math.max(10, warmupSteps);
}

const SMOOTHING = 50; // steps in the moving average of the loss

/** The loss of every step and its moving average, on a log axis. */
export function lossFigure(losses: readonly number[], title = "Training loss (answer tokens and [END])"): Figure {
  const x = losses.map((_, i) => i + 1);
  let sum = 0;
  const mean = losses.map((loss, i) => {
    sum += loss - (i >= SMOOTHING ? losses[i - SMOOTHING] : 0);
    return sum / Math.min(i + 1, SMOOTHING);
  });
  return lineChart([{ name: "loss at each step", x, y: [...losses] }, { name: `mean of the last ${SMOOTHING} steps`, x, y: mean }],
    { title, xTitle: "step", yTitle: "masked cross-entropy", logY: true });
}

/** Held-out exact match per operation at every evaluation (the first, at step 0, before training). */
export function accuracyFigure(evals: readonly EvalInfo[], title = "Exact match on held-out problems"): Figure {
  const series = OPERATIONS.map((op) => ({ name: op, x: evals.map((e) => e.step), y: evals.map((e) => e.perOp[op] ?? NaN) }));
  return lineChart(series, { title, xTitle: "step", yTitle: "exact match", yRange: [0, 1.05], yFormat: ".0%" });
}

/** Trains for the time budget with the schedule sized to it, drawing progress, loss and accuracy as it goes. */
export async function trainLive(trainer: Trainer, options: LiveTrainingOptions): Promise<LiveRun> {
  const { test, progress, lossPlot, accuracyPlot } = options;
  const losses: number[] = [];
  const evals: EvalInfo[] = [];
  let fit: ScheduleFit | undefined;
  const sizedAt = scheduleSizedAt(trainer.config.warmupSteps);
  const started = Date.now();
  let notTraining = 0; // seconds of evaluations so far
  const trainingSeconds = () => (Date.now() - started) / 1000 - notTraining;
  let lastDrawn = 0;
  const record = (info: EvalInfo) => {
    evals.push(info);
    options.onEval?.(info);
    accuracyPlot.update(accuracyFigure(evals));
  };
  progress.text(`step ${count(trainer.step)} · answering the held-out problems before training`); // the outputs appear in this order
  lossPlot.update(lossFigure(losses));
  record({ ...evaluate(trainer.model, test), step: trainer.step, seconds: 0, loss: NaN });
  notTraining = (Date.now() - started) / 1000;
  const line = (loss: number) => trainer.step <= sizedAt // runTraining sizes the schedule after onStep
    ? measuringLine(trainer.step, loss, trainingSeconds(), sizedAt)
    : progressLine(trainer.step, trainer.config.steps, loss, trainingSeconds(), options.timeBudgetSeconds);
  await runTraining(trainer, {
    test, evalEvery: options.evalEvery, timeBudgetSeconds: options.timeBudgetSeconds, fitScheduleToBudget: true,
    onScheduleFitted: (f) => (fit = f),
    onStep: ({ loss }) => {
      losses.push(Number(loss.toPrecision(4))); // 4 digits keep the figure small
      if (Date.now() - lastDrawn < 1000 * options.redrawSeconds) return;
      progress.text(line(loss));
      lossPlot.update(lossFigure(losses));
      lastDrawn = Date.now();
    },
    onEval: (info) => {
      record(info);
      notTraining = (Date.now() - started) / 1000 - info.seconds;
    },
  });
  const final = evals[evals.length - 1];
  const seconds = final.seconds;
  const mark = underTrainedMark(final.accuracy);
  const total = trainer.step < sizedAt ? undefined : trainer.config.steps; // no total was shown if training stopped before it was set
  progress.text(mark + finishedLine(trainer.step, total, losses[losses.length - 1] ?? NaN, seconds));
  lossPlot.update(lossFigure(losses, `${mark}Training loss (answer tokens and [END])`));
  accuracyPlot.update(accuracyFigure(evals, `${mark}Exact match on held-out problems`));
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const lossMeans = { first: mean(losses.slice(0, SMOOTHING)), last: mean(losses.slice(-SMOOTHING)), over: Math.min(SMOOTHING, losses.length) };
  return { steps: trainer.step, losses, lossMeans, evals, fit, seconds, wallSeconds: (Date.now() - started) / 1000 };
}

/**
 * The shipped model in place of a training run: the progress line says what it is, the loss plot
 * shows the loss curve it shipped with (means over blocks of steps), and it is evaluated once.
 */
export function shippedRun(shipped: { model: Transformer; metadata: ShippedMetadata }, test: readonly Problem[], options: Pick<LiveTrainingOptions, "progress" | "lossPlot" | "onEval">): LiveRun {
  const started = Date.now();
  const { steps, lossCurve: { every, means } } = shipped.metadata;
  options.progress.text(`the shipped ${shipped.metadata.name} model: ${count(steps)} steps, trained by \`npm run results\` (shards 1, one thread); nothing is trained here`);
  const x = means.map((_, i) => Math.min(steps, (i + 1) * every));
  options.lossPlot.update(lineChart([{ name: `mean of each ${count(every)} steps`, x, y: means }],
    { title: `Training loss of the shipped model (answer tokens and [END], mean of each ${count(every)} steps)`, xTitle: "step", yTitle: "masked cross-entropy", logY: true }));
  const final = { ...evaluate(shipped.model, test), step: steps, seconds: 0, loss: means[means.length - 1] };
  options.onEval?.(final);
  const lossMeans = { first: means[0], last: means[means.length - 1], over: every };
  return { steps, losses: [], lossMeans, evals: [final], seconds: 0, wallSeconds: (Date.now() - started) / 1000 };
}
