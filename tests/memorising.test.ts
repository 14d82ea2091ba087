import { describe, expect, it } from "vitest";
import { Problem, allProblems, makeProblem, splitProblems } from "../lib/data";
import { FactGroups, factGroups, isRule, memorisingReading, mirrorQuestion } from "../lib/memorising";

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

describe("memorisingReading", () => {
  const times = factGroups(train, test, "times");
  const inTraining = (p: Problem) => trainQuestions.has(p.question);

  it("calls a perfect memoriser memorising, from the gap between training and held-out facts", () => {
    const text = memorisingReading(times, inTraining);
    expect(text).toMatch(/^times: 100\.0% of the \d+ facts it trained on \(rules left out\), 0\.0% of the \d+ held-out facts: a gap of 100 points\./);
    expect(text).toMatch(/memorised/);
  });

  it("reads a high score on the mirror group with a wide gap as memorising, not as 'nothing stands out'", () => {
    const mirrorHelps = (p: Problem) => inTraining(p) || (times.mirrorSeen.includes(p) && times.mirrorSeen.indexOf(p) % 2 === 0);
    const text = memorisingReading(times, mirrorHelps);
    expect(text).toMatch(/held-out facts: a gap of 5\d points\. It has memorised/);
    expect(text).not.toMatch(/stands out/);
  });

  it("calls it generalising when held-out facts do as well, and says so when training facts are not learned yet", () => {
    expect(memorisingReading(times, () => true)).toMatch(/gap of 0 points\. It answers facts it never saw almost as well.*generalised\..*rules: 100\.0%/);
    expect(memorisingReading(times, () => false)).toMatch(/not yet learned even the facts it trained on/);
  });

  it("says when there are too few problems to compare", () => {
    const tiny: FactGroups = { ...times, mirrorUnseen: times.mirrorUnseen.slice(0, 2) };
    expect(memorisingReading(tiny, inTraining)).toMatch(/smaller mirror group holds 2 held-out facts, too few/);
    expect(memorisingReading({ ...times, mirrorUnseen: times.mirrorUnseen.slice(0, 1) }, inTraining)).toMatch(/holds 1 held-out fact, too few/);
    const wide: FactGroups = { ...times, mirrorUnseen: [...times.mirrorSeen] }; // 5 or more in each group
    expect(memorisingReading(wide, inTraining)).toMatch(/whose mirror it trained on: 0\.0% \(\d+\); with no mirror in training: 0\.0% \(\d+\)/);
    expect(memorisingReading({ ...times, mirrorSeen: [], mirrorUnseen: [] }, inTraining)).toMatch(/no held-out facts/);
  });
});
