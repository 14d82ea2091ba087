// Following questions during training: the answer to each at every evaluation, reduced to the
// evaluations where it changed, and the step from which it stayed right.

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
