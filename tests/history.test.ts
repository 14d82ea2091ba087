import { describe, expect, it } from "vitest";
import { AnswersAt, answerChanges, rightFrom, stepsWithChanges } from "../lib/history";

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

  it("says from which step an answer stayed right, agreeing with the changes", () => {
    expect(rightFrom(HISTORY, 0, "forty eight")).toBe(3500);
    expect(rightFrom(HISTORY, 1, "two")).toBe(3750);
    expect(rightFrom(HISTORY, 1, "one")).toBeUndefined(); // wrong at the end
  });

  it("lists the evaluations where any answer changed", () => {
    expect(stepsWithChanges(HISTORY)).toEqual([0, 250, 3000, 3250, 3500, 3750]);
    expect(stepsWithChanges([HISTORY[0], { step: 10, answers: ["seven", "one"] }])).toEqual([0]);
  });
});
