import { describe, expect, it } from "vitest";
import { allProblems, makeProblem, splitProblems } from "../lib/data";
import { factGroups, isRule, labelledGroups, mirrorQuestion } from "../lib/analysis/memorising";

const { train, test } = splitProblems(allProblems(), 0.1, 0);
const trainQuestions = new Set(train.map((p) => p.question));

describe("rules and mirrors", () => {
  it("knows the 0 and 1 rules", () => {
    expect([makeProblem(0, "times", 7), makeProblem(7, "times", 1), makeProblem(0, "divided", 4), makeProblem(9, "divided", 9), makeProblem(8, "divided", 1)].every(isRule)).toBe(true);
    expect([makeProblem(6, "times", 8), makeProblem(42, "divided", 6)].some(isRule)).toBe(false);
    expect(() => isRule(makeProblem(2, "plus", 3))).toThrow(/only times and divided.*"plus"/);
  });

  it("mirrors a times b to b times a, and a divided by b to a divided by a / b; a square has no mirror", () => {
    expect(mirrorQuestion(makeProblem(7, "times", 3))).toBe("three times seven");
    expect(mirrorQuestion(makeProblem(21, "divided", 3))).toBe("twenty one divided by seven");
    expect(mirrorQuestion(makeProblem(6, "times", 6))).toBeUndefined();
    expect(mirrorQuestion(makeProblem(49, "divided", 7))).toBeUndefined();
    expect(mirrorQuestion(makeProblem(0, "divided", 7))).toBeUndefined();
  });
});

describe("factGroups", () => {
  for (const op of ["times", "divided"] as const) {
    it(`splits the held-out ${op} problems into rules, facts with and without a mirror in training`, () => {
      const g = factGroups(train, test, op);
      const heldOut = test.filter((p) => p.op === op);
      expect(g.rules.length + g.mirrorSeen.length + g.mirrorUnseen.length).toBe(heldOut.length);
      expect(g.rules.every(isRule) && !g.mirrorSeen.some(isRule) && !g.mirrorUnseen.some(isRule)).toBe(true);
      expect(g.mirrorSeen.every((p) => trainQuestions.has(mirrorQuestion(p)!))).toBe(true);
      expect(g.mirrorUnseen.every((p) => !trainQuestions.has(mirrorQuestion(p) ?? ""))).toBe(true);
      expect(g.mirrorSeen.length).toBeGreaterThan(g.mirrorUnseen.length); // 90% of mirrors are training problems
      expect(g.trainingFacts.length).toBe(train.filter((p) => p.op === op && !isRule(p)).length);
    });
  }
});

describe("labelledGroups", () => {
  it("lists the held-out groups, then the training facts, each with its label", () => {
    const g = factGroups(train, test, "divided");
    expect(labelledGroups(g)).toEqual([
      ["held out: a 0 or 1 rule", g.rules], ["held out: mirror fact in training", g.mirrorSeen],
      ["held out: no mirror in training", g.mirrorUnseen], ["training: not a rule", g.trainingFacts],
    ]);
  });
});
