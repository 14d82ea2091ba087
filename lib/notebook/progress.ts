// Following a training run: a one-line progress report, what to say when the run was too short to
// read much into (a warning and a mark for figure titles), and the answers to followed questions
// reduced to the evaluations where they changed.
import { percent } from "./format";

const count = (n: number) => n.toLocaleString("en-US");

/** "step 1,250 of 2,000 · loss 0.412 · 31 s of training · about 19 s left" (time left: whichever ends first, steps or budget). */
export function progressLine(step: number, totalSteps: number, loss: number, seconds: number, budgetSeconds = Infinity): string {
  const rate = step / Math.max(seconds, 1e-9); // steps per second so far
  const left = Math.max(0, Math.min(budgetSeconds - seconds, (totalSteps - step) / rate));
  const leftText = step > 0 && Number.isFinite(left) ? ` · about ${left.toFixed(0)} s left` : "";
  return `step ${count(step)} of ${count(totalSteps)} · loss ${loss.toFixed(3)} · ${seconds.toFixed(0)} s of training${leftText}`;
}

/** The progress line while the trainer measures this machine's speed, before it sizes the schedule (at step `sizedAt`). */
export function measuringLine(step: number, loss: number, seconds: number, sizedAt: number): string {
  return `step ${count(step)} · loss ${loss.toFixed(3)} · ${seconds.toFixed(0)} s of training · ` +
    `measuring this machine's speed; the schedule's length is set at step ${count(sizedAt)}`;
}

/** "finished: step 538 of 541 (the time budget ran out) · loss 0.412 · 60 s of training"; `totalSteps` undefined: no total. */
export function finishedLine(step: number, totalSteps: number | undefined, loss: number, seconds: number): string {
  const of = totalSteps === undefined ? "" : ` of ${count(totalSteps)}`;
  const why = totalSteps === undefined || step < totalSteps ? " (the time budget ran out)" : "";
  return `finished: step ${count(step)}${of}${why} · loss ${loss.toFixed(3)} · ${seconds.toFixed(0)} s of training`;
}

/** Held-out exact match below which the analysis after training describes a model that has barely learned. */
export const USEFUL_ACCURACY = 0.8;


/** "" for a model worth reading; else a mark for the start of a figure title or an output's first line. */
export function underTrainedMark(heldOutAccuracy: number): string {
  return heldOutAccuracy >= USEFUL_ACCURACY ? "" : `UNDER-TRAINED (${percent(heldOutAccuracy)} held out) · `;
}

/** What a learner can do instead of waiting: a trained model that ships with the course, and the settings that choose it or a longer run. */
export interface ShippedAlternative {
  steps: number;
  heldOutAccuracy: number;
  useShippedKnob: string; // the notebook's setting that loads it
  budgetKnob: string; // the notebook's setting for a longer run
}

/**
 * Short lines (they print as plain text, which wraps inside words) saying that the run is too short
 * to read much into and what to do about it; undefined when the held-out exact match is high enough.
 */
export function underTrainedWarning(heldOutAccuracy: number, step: number, shipped: ShippedAlternative): string[] | undefined {
  if (heldOutAccuracy >= USEFUL_ACCURACY) return undefined;
  return [
    `UNDER-TRAINED: after ${count(step)} steps the model answers ${percent(heldOutAccuracy)} of held-out problems`,
    `exactly (a model worth reading is above ${(100 * USEFUL_ACCURACY).toFixed(0)}%). What follows describes a model that is`,
    `still learning: its answers, heads and groups are a snapshot of training, not what the calculator learns.`,
    `To read a trained model now, set ${shipped.useShippedKnob} = true in the settings cell: the course model`,
    `trained for ${count(shipped.steps)} steps (${percent(shipped.heldOutAccuracy)} held out). Or raise ${shipped.budgetKnob}.`,
  ];
}

export interface AnswersAt {
  step: number;
  answers: string[]; // one per followed question, in order
}

export interface AnswerChange {
  step: number;
  answer: string;
}

/** The answers to question `index` at the first evaluation and at every evaluation where it changed. */
export function answerChanges(history: readonly AnswersAt[], index: number): AnswerChange[] {
  const changes: AnswerChange[] = [];
  for (const { step, answers } of history) {
    if (index < 0 || index >= answers.length) throw new Error(`answerChanges: question ${index} is not among the ${answers.length} followed.`);
    if (changes.length === 0 || changes[changes.length - 1].answer !== answers[index]) changes.push({ step, answer: answers[index] });
  }
  return changes;
}

