import { describe, expect, it } from "vitest";
import {
  AnswersAt, USEFUL_ACCURACY, answerChanges, finishedLine, measuringLine, progressLine, underTrainedMark, underTrainedWarning,
} from "../lib/notebook/progress";

// "six times eight" (forty eight) right at 3000, wrong at 3250, right again from 3500: the case a sampled table hid.
const HISTORY: AnswersAt[] = [
  { step: 0, answers: ["seven", "one"] },
  { step: 250, answers: ["forty", "one"] },
  { step: 3000, answers: ["forty eight", "one"] },
  { step: 3250, answers: ["forty two", "one"] },
  { step: 3500, answers: ["forty eight", "one"] },
  { step: 3750, answers: ["forty eight", "two"] },
];

describe("following answers", () => {
  it("keeps the first answer and every change", () => {
    expect(answerChanges(HISTORY, 0)).toEqual([
      { step: 0, answer: "seven" }, { step: 250, answer: "forty" }, { step: 3000, answer: "forty eight" },
      { step: 3250, answer: "forty two" }, { step: 3500, answer: "forty eight" },
    ]);
    expect(answerChanges(HISTORY, 1)).toEqual([{ step: 0, answer: "one" }, { step: 3750, answer: "two" }]);
    expect(() => answerChanges(HISTORY, 2)).toThrow(/question 2 is not among the 2/);
  });

});

describe("progress and short runs", () => {
  it("reports step, loss and the time left, whichever of steps and budget ends first", () => {
    expect(progressLine(1250, 2000, 0.41234, 25)).toBe("step 1,250 of 2,000 · loss 0.412 · 25 s of training · about 15 s left");
    expect(progressLine(1250, 2000, 0.41234, 25, 30)).toBe("step 1,250 of 2,000 · loss 0.412 · 25 s of training · about 5 s left");
    expect(progressLine(0, 2000, 3.6, 0, 30)).toBe("step 0 of 2,000 · loss 3.600 · 0 s of training");
  });

  it("says what the line shows before the schedule is sized, and how the run finished", () => {
    expect(measuringLine(40, 2.5, 4, 100)).toBe("step 40 · loss 2.500 · 4 s of training · measuring this machine's speed; the schedule's length is set at step 100");
    expect(finishedLine(541, 541, 0.41234, 60)).toBe("finished: step 541 of 541 · loss 0.412 · 60 s of training");
    expect(finishedLine(538, 541, 0.41234, 60)).toBe("finished: step 538 of 541 (the time budget ran out) · loss 0.412 · 60 s of training");
    expect(finishedLine(80, undefined, 2, 10)).toBe("finished: step 80 (the time budget ran out) · loss 2.000 · 10 s of training");
  });

  it("marks and warns below USEFUL_ACCURACY only, in short lines that offer the shipped model", () => {
    const shipped = { steps: 5000, heldOutAccuracy: 0.976, useShippedKnob: "USE_SHIPPED_MODEL", budgetKnob: "TIME_BUDGET_SECONDS" };
    expect(underTrainedMark(USEFUL_ACCURACY)).toBe("");
    expect(underTrainedWarning(USEFUL_ACCURACY, 900, shipped)).toBeUndefined();
    expect(underTrainedMark(0.198)).toBe("UNDER-TRAINED (19.8% held out) · ");
    const lines = underTrainedWarning(0.198, 541, shipped)!;
    expect(lines[0]).toBe("UNDER-TRAINED: after 541 steps the model answers 19.8% of held-out problems");
    expect(lines.join(" ")).toMatch(/USE_SHIPPED_MODEL = true .* trained for 5,000 steps \(97\.6% held out\)\. Or raise TIME_BUDGET_SECONDS\./);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(110); // plain text wraps inside words
  });
});
