// Notebook 6's training runs with live outputs: the learner's own loop (its mean loss every tenth
// of the steps, and whether it fell), and lib's trainer for a time budget (a progress line, the
// loss curve and the held-out exact match per operation, redrawn while it trains on the worker
// threads), or the shipped model in its place. The clocks, displays and evaluation spacing live
// here, so that the notebook's cells show only what is trained and for how long.
import * as tslab from "tslab";
import { OPERATIONS, Problem } from "../data";
import { LivePlot, livePlot } from "./display";
import { evaluate } from "../generate";
import { Figure, lineChart } from "./plot";
import { finishedLine, measuringLine, progressLine, underTrainedMark } from "./progress";
import { Transformer } from "../model";
import { loadShipped } from "../ladder/results";
import type { ShippedMetadata } from "../ladder/results";
import { remake } from "./remake";
import { EvalInfo, ScheduleFit, Trainer, runTraining } from "../train";

const count = (n: number) => n.toLocaleString("en-US");
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

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

/** The learner's loop counts as learning when its last tenth's mean loss is at most this share of its first tenth's. */
export const FELL_TO = 0.9;

export interface LossLog {
  /** Records one step's loss; prints the mean of every tenth of the loop, and after the last step whether the loss fell. */
  add(loss: number): Promise<void>;
  readonly losses: number[];
}

/**
 * The learner's loop, `steps` long: every tenth of it prints the mean loss of that tenth (and lets
 * the line show while the loop goes on); after the last step, "PASS (your loop)" when the mean loss
 * fell (the last tenth's at most FELL_TO of the first tenth's), else "NOT YET (your loop)".
 */
export function lossLog(steps: number): LossLog {
  if (!(Number.isInteger(steps) && steps >= 10)) throw new Error(`lossLog: steps must be a whole number of at least 10, got ${steps}.`);
  const tenth = Math.floor(steps / 10);
  const losses: number[] = [];
  const meanOf = (from: number) => mean(losses.slice(from, from + tenth));
  return {
    losses,
    async add(loss) {
      losses.push(loss);
      const done = losses.length;
      if (done % tenth === 0 && done <= 10 * tenth) {
        console.log(`step ${count(done)} of ${count(steps)}: mean loss of steps ${count(done - tenth + 1)}-${count(done)} ${meanOf(done - tenth).toFixed(3)}`);
        await new Promise((resolve) => setImmediate(resolve)); // lets the line show while the loop goes on
      }
      if (done !== steps) return;
      const [first, last] = [meanOf(0), meanOf(steps - tenth)];
      console.log(last <= FELL_TO * first
        ? `PASS (your loop): the mean loss fell from ${first.toFixed(3)} (the first ${tenth} steps) to ${last.toFixed(3)} (the last ${tenth}).`
        : `NOT YET (your loop): the mean loss went from ${first.toFixed(3)} (the first ${tenth} steps) to ${last.toFixed(3)} (the last ${tenth}): it did not fall.`);
    },
  };
}

/** Evaluations over a fitted schedule, besides the one before training: about this many, at round step numbers. */
export const EVALUATIONS = 10;
const REDRAW_SECONDS = 2; // the progress line and the loss curve redraw this often

/** Steps between evaluations: about totalSteps / evaluations, rounded to 1, 2 or 5 times a power of ten. */
export function evaluationSpacing(totalSteps: number, evaluations = EVALUATIONS): number {
  const wanted = Math.max(1, totalSteps / evaluations);
  const power = 10 ** Math.floor(Math.log10(wanted));
  const candidates = [1, 2, 5, 10].map((m) => m * power);
  return candidates.reduce((best, c) => (Math.abs(Math.log(c / wanted)) < Math.abs(Math.log(best / wanted)) ? c : best));
}

/** Called after every evaluation with what it measured and the model it measured. */
export type OnEval = (info: EvalInfo, model: Transformer) => void;

export interface LiveOptions {
  evaluations?: number; // about how many evaluations over the fitted schedule (EVALUATIONS)
  redrawSeconds?: number;
  progress?: LiveLine; // the live outputs; by default new ones in the running cell
  lossPlot?: LivePlot;
  accuracyPlot?: LivePlot;
}

export interface LiveRun {
  model: Transformer; // the trained model (or the shipped one)
  steps: number; // steps trained
  losses: number[]; // the loss of every step, 4 significant digits (empty for the shipped model)
  lossMeans: { first: number; last: number; over: number }; // mean loss over the first and the last `over` steps
  evals: EvalInfo[]; // on the held-out problems: at step 0 (before training), at every evaluation, and at the last step
  mark: string; // "" for a model worth reading, else a mark for the start of figure titles (progress's underTrainedMark)
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

/** A log-axis range from the power of ten at or below the smallest value to the one at or above the largest, so that ticks cover every value. */
export function decadeRange(values: readonly number[]): [number, number] | undefined {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return undefined;
  const [low, high] = [Math.min(...positive), Math.max(...positive)].map(Math.log10);
  return [10 ** Math.floor(low), 10 ** Math.max(Math.ceil(high), Math.floor(low) + 1)];
}

/** The loss of every step and its moving average, on a log axis. */
export function lossFigure(losses: readonly number[], title = "Training loss (answer tokens and [END])"): Figure {
  const x = losses.map((_, i) => i + 1);
  let sum = 0;
  const smoothed = losses.map((loss, i) => {
    sum += loss - (i >= SMOOTHING ? losses[i - SMOOTHING] : 0);
    return sum / Math.min(i + 1, SMOOTHING);
  });
  return lineChart([{ name: "loss at each step", x, y: [...losses] }, { name: `mean of the last ${SMOOTHING} steps`, x, y: smoothed }],
    { title, xTitle: "step", yTitle: "masked cross-entropy", logY: true, yRange: decadeRange(losses) });
}

/** Held-out exact match per operation at every evaluation (the first, at step 0, before training). */
export function accuracyFigure(evals: readonly EvalInfo[], title = "Exact match on held-out problems"): Figure {
  const series = OPERATIONS.map((op) => ({ name: op, x: evals.map((e) => e.step), y: evals.map((e) => e.perOp[op] ?? NaN) }));
  return lineChart(series, { title, xTitle: "step", yTitle: "exact match", yRange: [0, 1.05], yFormat: ".0%" });
}

/**
 * Trains for the time budget with the schedule sized to it, drawing progress, loss and accuracy as
 * it goes; evaluates on `test` before training, about `evaluations` times over the sized schedule
 * and at the end, calling `onEval` after each evaluation.
 */
export async function trainLive(trainer: Trainer, test: readonly Problem[], timeBudgetSeconds: number, onEval?: OnEval, options: LiveOptions = {}): Promise<LiveRun> {
  const progress = options.progress ?? liveLine();
  const lossPlot = options.lossPlot ?? livePlot();
  const accuracyPlot = options.accuracyPlot ?? livePlot();
  const redrawSeconds = options.redrawSeconds ?? REDRAW_SECONDS;
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
    onEval?.(info, trainer.model);
    accuracyPlot.update(accuracyFigure(evals));
  };
  progress.text(`step ${count(trainer.step)} · answering the held-out problems before training`); // the outputs appear in this order
  lossPlot.update(lossFigure(losses));
  record({ ...evaluate(trainer.model, test), step: trainer.step, seconds: 0, loss: NaN });
  notTraining = (Date.now() - started) / 1000;
  const line = (loss: number) => trainer.step <= sizedAt // runTraining sizes the schedule after onStep
    ? measuringLine(trainer.step, loss, trainingSeconds(), sizedAt)
    : progressLine(trainer.step, trainer.config.steps, loss, trainingSeconds(), timeBudgetSeconds);
  const onStep = ({ loss }: { loss: number }) => {
    losses.push(Number(loss.toPrecision(4))); // 4 digits keep the figure small
    if (Date.now() - lastDrawn < 1000 * redrawSeconds) return;
    progress.text(line(loss));
    lossPlot.update(lossFigure(losses));
    lastDrawn = Date.now();
  };
  // runTraining evaluates every `evalEvery` steps, fixed for a call, but the schedule's length is
  // known only once it is sized: so a first call trains up to that step without evaluating, and a
  // second one trains the rest with evaluations spaced over the sized schedule.
  let sized = false;
  await runTraining(trainer, {
    timeBudgetSeconds, fitScheduleToBudget: true, onStep, onScheduleFitted: (f) => (fit = f),
    shouldStop: () => (sized = trainer.step >= sizedAt),
  });
  const before = trainingSeconds(); // training seconds of the first call
  await runTraining(trainer, {
    test, evalEvery: evaluationSpacing(trainer.config.steps, options.evaluations), timeBudgetSeconds: sized ? timeBudgetSeconds - before : 0, onStep,
    onEval: (info) => {
      record({ ...info, seconds: before + info.seconds });
      notTraining = (Date.now() - started) / 1000 - (before + info.seconds);
    },
  });
  const final = evals[evals.length - 1];
  const mark = underTrainedMark(final.accuracy);
  const total = trainer.step < sizedAt ? undefined : trainer.config.steps; // no total was shown if training stopped before it was set
  progress.text(mark + finishedLine(trainer.step, total, losses[losses.length - 1] ?? NaN, final.seconds));
  lossPlot.update(lossFigure(losses, `${mark}Training loss (answer tokens and [END])`));
  accuracyPlot.update(accuracyFigure(evals, `${mark}Exact match on held-out problems`));
  const lossMeans = { first: mean(losses.slice(0, SMOOTHING)), last: mean(losses.slice(-SMOOTHING)), over: Math.min(SMOOTHING, losses.length) };
  return { model: trainer.model, steps: trainer.step, losses, lossMeans, evals, mark, fit, seconds: final.seconds, wallSeconds: (Date.now() - started) / 1000 };
}

/**
 * The shipped course model in place of a training run (loaded under remake's name "shipped model"):
 * the progress line says what it is, the loss plot shows the loss curve it shipped with (means over
 * blocks of steps), and it is evaluated once, on `test`.
 */
export function shippedRun(test: readonly Problem[], onEval?: OnEval, options: Pick<LiveOptions, "progress" | "lossPlot"> = {},
  load: () => { model: Transformer; metadata: ShippedMetadata } = () => loadShipped("course")): LiveRun {
  const started = Date.now();
  const shipped = remake("shipped model", load);
  const { steps, lossCurve: { every, means } } = shipped.metadata;
  (options.progress ?? liveLine()).text(`the shipped ${shipped.metadata.name} model: ${count(steps)} steps, trained by \`npm run results\` (shards 1, one thread); nothing is trained here`);
  const x = means.map((_, i) => Math.min(steps, (i + 1) * every));
  (options.lossPlot ?? livePlot()).update(lineChart([{ name: `mean of each ${count(every)} steps`, x, y: means }],
    { title: `Training loss of the shipped model (answer tokens and [END], mean of each ${count(every)} steps)`, xTitle: "step", yTitle: "masked cross-entropy", logY: true, yRange: decadeRange(means) }));
  const final = { ...evaluate(shipped.model, test), step: steps, seconds: 0, loss: means[means.length - 1] };
  onEval?.(final, shipped.model);
  const lossMeans = { first: means[0], last: means[means.length - 1], over: every };
  return { model: shipped.model, steps, losses: [], lossMeans, evals: [final], mark: underTrainedMark(final.accuracy), seconds: 0, wallSeconds: (Date.now() - started) / 1000 };
}
