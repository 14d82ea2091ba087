// Following a training run: a one-line progress report, a warning when the run was too short to
// read much into, and the answers to followed questions reduced to the evaluations where they changed.

/** "step 1,250 of 2,000 · loss 0.412 · 31 s of training · about 19 s left" (time left: whichever ends first, steps or budget). */
export function progressLine(step: number, totalSteps: number, loss: number, seconds: number, budgetSeconds = Infinity): string {
  const rate = step / Math.max(seconds, 1e-9); // steps per second so far
  const left = Math.max(0, Math.min(budgetSeconds - seconds, (totalSteps - step) / rate));
  const leftText = step > 0 && Number.isFinite(left) ? ` · about ${left.toFixed(0)} s left` : "";
  return `step ${step.toLocaleString("en-US")} of ${totalSteps.toLocaleString("en-US")} · loss ${loss.toFixed(3)} · ${seconds.toFixed(0)} s of training${leftText}`;
}

/** Held-out exact match below which the analysis after training describes a model that has barely learned. */
export const USEFUL_ACCURACY = 0.8;

/** A warning for a run whose held-out exact match is below USEFUL_ACCURACY, or undefined. */
export function shortRunWarning(heldOutAccuracy: number, step: number): string | undefined {
  if (heldOutAccuracy >= USEFUL_ACCURACY) return undefined;
  return `Warning: after ${step.toLocaleString("en-US")} steps the model answers only ${(100 * heldOutAccuracy).toFixed(1)}% of held-out problems ` +
    `exactly (below ${(100 * USEFUL_ACCURACY).toFixed(0)}%). The analysis below describes a model that has not finished learning, ` +
    `so read it as a snapshot of training, not as what the calculator learns. Raise TIME_BUDGET_SECONDS for a model worth looking at.`;
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

/** The first step from which the answer to question `index` is `correct` at every later evaluation; undefined if it is wrong at the last. */
export function rightFrom(history: readonly AnswersAt[], index: number, correct: string): number | undefined {
  const changes = answerChanges(history, index);
  const last = changes[changes.length - 1];
  return last !== undefined && last.answer === correct ? last.step : undefined;
}

/** The steps at which at least one followed answer changed (the first evaluation included). */
export function stepsWithChanges(history: readonly AnswersAt[]): number[] {
  return history.filter((h, i) => i === 0 || h.answers.some((a, q) => a !== history[i - 1].answers[q])).map((h) => h.step);
}
