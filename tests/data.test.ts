import { describe, expect, it } from "vitest";
import {
  BatchSampler, OPERATIONS, Operation, Problem, Repeats, allProblems, calculate, countByOperation,
  makeBatch, makeProblem, promptIds, sequenceIds, splitProblems,
} from "../lib/data";
import { END_ID, EQUALS_ID, PAD_ID, START_ID, VOCAB, wordsToNumber } from "../lib/vocab";

const key = (p: Problem) => `${p.a} ${p.op} ${p.b}`;
const ALL = allProblems();

/** Brute force over every pair a, b in 0..99, with each rule written out on its own. */
function bruteForceCounts(): Record<Operation, number> {
  const counts = { plus: 0, minus: 0, times: 0, divided: 0 };
  for (let a = 0; a <= 99; a++) {
    for (let b = 0; b <= 99; b++) {
      if (a + b <= 99) counts.plus++;
      if (a - b >= 0) counts.minus++;
      if (a * b <= 99) counts.times++;
      if (b !== 0 && a % b === 0) counts.divided++; // a / b <= a <= 99 always
    }
  }
  return counts;
}

describe("calculate", () => {
  it("gives the whole-number result in 0..99, and undefined for anything else", () => {
    expect([calculate(2, "plus", 3), calculate(7, "minus", 7), calculate(9, "times", 11), calculate(81, "divided", 9)]).toEqual([5, 0, 99, 9]);
    expect([calculate(50, "plus", 50), calculate(3, "minus", 4), calculate(10, "times", 10)]).toEqual([undefined, undefined, undefined]);
    expect([calculate(7, "divided", 2), calculate(5, "divided", 0), calculate(0, "divided", 5)]).toEqual([undefined, undefined, 0]);
  });
});

describe("all problems", () => {
  it("has 5050 / 5050 / 672 / 572 = 11344 problems, as a brute-force count says", () => {
    const counts = bruteForceCounts();
    expect(counts).toEqual({ plus: 5050, minus: 5050, times: 672, divided: 572 });
    expect(countByOperation(ALL)).toEqual(counts);
    expect(ALL.length).toBe(11344);
  });

  it("lists every problem once", () => {
    expect(new Set(ALL.map(key)).size).toBe(ALL.length);
  });

  it("gives every problem the right result, in words", () => {
    const compute: Record<Operation, (a: number, b: number) => number> = {
      plus: (a, b) => a + b,
      minus: (a, b) => a - b,
      times: (a, b) => a * b,
      divided: (a, b) => a / b,
    };
    const operatorWords: Record<Operation, string> = { plus: "plus", minus: "minus", times: "times", divided: "divided by" };
    for (const p of ALL) {
      const result = compute[p.op](p.a, p.b);
      expect(p.result, key(p)).toBe(result);
      expect(Number.isInteger(result) && result >= 0 && result <= 99).toBe(true);
      expect(wordsToNumber(p.answer)).toBe(result);
      const [left, right] = p.question.split(` ${operatorWords[p.op]} `);
      expect(wordsToNumber(left)).toBe(p.a);
      expect(wordsToNumber(right)).toBe(p.b);
    }
  });

  it("refuses problems without a whole answer in 0..99", () => {
    expect(() => makeProblem(7, "divided", 2)).toThrow("seven divided by two has no whole-number answer in 0..99.");
    expect(() => makeProblem(1, "divided", 0)).toThrow(/one divided by zero/);
    expect(() => makeProblem(3, "minus", 5)).toThrow(/three minus five/);
    expect(() => makeProblem(50, "plus", 50)).toThrow(/fifty plus fifty/);
    expect(() => makeProblem(10, "times", 10)).toThrow(/ten times ten/);
  });
});

describe("train / test split", () => {
  const split = splitProblems(ALL, 0.1, 0);

  it("keeps every problem exactly once, with no test problem in the training set", () => {
    const trainKeys = new Set(split.train.map(key));
    expect(split.test.some((p) => trainKeys.has(key(p)))).toBe(false);
    expect(split.train.length + split.test.length).toBe(ALL.length);
    expect(new Set([...split.train, ...split.test].map(key)).size).toBe(ALL.length);
  });

  it("holds out about 10% of each operation", () => {
    const total = countByOperation(ALL);
    const held = countByOperation(split.test);
    for (const op of OPERATIONS) {
      expect(Math.abs(held[op] - total[op] / 10), op).toBeLessThanOrEqual(1);
    }
  });

  it("gives the same split for the same seed and another for another seed", () => {
    const again = splitProblems(ALL, 0.1, 0);
    expect(again.test.map(key)).toEqual(split.test.map(key));
    expect(again.train.map(key)).toEqual(split.train.map(key));
    const other = new Set(splitProblems(ALL, 0.1, 1).test.map(key));
    const shared = split.test.filter((p) => other.has(key(p))).length;
    expect(shared).toBeLessThan(split.test.length / 2); // two random 10% samples share about 10%
  });

  it("rejects a test fraction outside (0, 1)", () => {
    for (const bad of [0, 1, -0.1, 1.5]) expect(() => splitProblems(ALL, bad)).toThrow(String(bad));
  });
});

describe("sequences and batches", () => {
  const id = (word: string) => VOCAB.indexOf(word);

  it("builds [START] question = answer [END]", () => {
    const p = makeProblem(2, "plus", 3);
    expect(promptIds(p.question)).toEqual([START_ID, id("two"), id("plus"), id("three"), EQUALS_ID]);
    expect(sequenceIds(p)).toEqual([START_ID, id("two"), id("plus"), id("three"), EQUALS_ID, id("five"), END_ID]);
    const q = makeProblem(96, "divided", 4);
    expect(sequenceIds(q)).toEqual([
      START_ID, id("ninety"), id("six"), id("divided"), id("by"), id("four"), EQUALS_ID, id("twenty"), id("four"), END_ID,
    ]);
  });

  const problems = [makeProblem(2, "plus", 3), makeProblem(96, "divided", 4), makeProblem(45, "minus", 45)];
  const batch = makeBatch(problems);

  it("pads inputs and targets to the longest sequence minus one", () => {
    const lengths = problems.map((p) => sequenceIds(p).length); // 7, 10, 7
    const T = Math.max(...lengths) - 1;
    for (const rows of [batch.inputs, batch.targets, batch.lossMask]) {
      expect(rows.length).toBe(problems.length);
      for (const row of rows) expect(row.length).toBe(T);
    }
    lengths.forEach((length, b) => {
      const n = length - 1; // real positions
      expect(batch.inputs[b].slice(n).every((x) => x === PAD_ID)).toBe(true);
      expect(batch.targets[b].slice(n).every((x) => x === PAD_ID)).toBe(true);
      expect(batch.lossMask[b].slice(n).every((x) => x === 0)).toBe(true);
    });
    expect(batch.problems).toEqual(problems);
  });

  it("makes targets the inputs shifted by one, ending in [END]", () => {
    problems.forEach((p, b) => {
      const sequence = sequenceIds(p);
      expect(batch.inputs[b].slice(0, sequence.length - 1)).toEqual(sequence.slice(0, -1));
      expect(batch.targets[b].slice(0, sequence.length - 1)).toEqual(sequence.slice(1));
      expect(batch.targets[b][sequence.length - 2]).toBe(END_ID);
    });
  });

  it("puts the loss mask on exactly the answer words and [END]", () => {
    problems.forEach((p, b) => {
      const answerWords = p.answer.split(" ").length;
      const equals = batch.inputs[b].indexOf(EQUALS_ID); // this position predicts the first answer word
      const expected = batch.inputs[b].map((_, t) => (t >= equals && t <= equals + answerWords ? 1 : 0));
      expect(batch.lossMask[b]).toEqual(expected);
      const maskedTargets = batch.targets[b].filter((_, t) => batch.lossMask[b][t] === 1);
      expect(maskedTargets).toEqual([...p.answer.split(" ").map(id), END_ID]);
    });
  });

  it("pads to a requested length and refuses a too short one", () => {
    const padded = makeBatch(problems.slice(0, 1), 12);
    expect(padded.inputs[0].length).toBe(12);
    expect(padded.inputs[0].slice(6)).toEqual(new Array(6).fill(PAD_ID));
    expect(() => makeBatch(problems, 5)).toThrow(/5.*9/);
    expect(() => makeBatch([])).toThrow(/no problems/);
  });
});

describe("BatchSampler", () => {
  const problems = ALL.filter((p) => p.op === "times").slice(0, 23);

  it("gives the same batch for the same step, in any call order", () => {
    const first = new BatchSampler(problems, 5, 7);
    const second = new BatchSampler(problems, 5, 7);
    const forward = [0, 1, 2, 3, 4, 5, 6, 7].map((s) => first.batchAt(s).problems.map(key));
    const backward = [7, 6, 5, 4, 3, 2, 1, 0].map((s) => second.batchAt(s).problems.map(key)).reverse();
    expect(backward).toEqual(forward);
    expect(first.batchAt(3).problems.map(key)).toEqual(forward[3]);
  });

  it("visits every problem once per epoch, also across batch boundaries", () => {
    const sampler = new BatchSampler(problems, 5, 7);
    const seen = Array.from({ length: 14 }, (_, s) => sampler.batchAt(s).problems).flat(); // 70 = 3 epochs + 1
    const everyKey = problems.map(key).sort();
    for (let epoch = 0; epoch < 3; epoch++) {
      expect(seen.slice(epoch * 23, (epoch + 1) * 23).map(key).sort()).toEqual(everyKey);
    }
    const order0 = seen.slice(0, 23).map(key);
    const order1 = seen.slice(23, 46).map(key);
    expect(order1).not.toEqual(order0); // a fresh shuffle each epoch
    expect(order0).not.toEqual(problems.map(key)); // and shuffled at all
  });

  it("orders batches differently for another seed", () => {
    const a = new BatchSampler(problems, 23, 1).batchAt(0).problems.map(key);
    const b = new BatchSampler(problems, 23, 2).batchAt(0).problems.map(key);
    expect(a).not.toEqual(b);
    expect([...a].sort()).toEqual([...b].sort());
  });

  it("rejects a bad batch size by value and an empty problem list", () => {
    for (const bad of [0, -3, 2.5]) expect(() => new BatchSampler(problems, bad, 0)).toThrow(String(bad));
    expect(() => new BatchSampler([], 4, 0)).toThrow(/no problems/);
  });

  it("shows each problem of a repeated operation that many times per epoch, the others once", () => {
    const mixed = [...problems.slice(0, 5), ...ALL.filter((p) => p.op === "plus").slice(0, 7)]; // 5 times, 7 plus
    const sampler = new BatchSampler(mixed, 6, 3, { times: 3 }); // an epoch: 5 * 3 + 7 = 22 problems
    const epoch = Array.from({ length: 11 }, (_, s) => sampler.batchAt(s).problems).flat().slice(0, 22);
    const counts = new Map<string, number>();
    for (const p of epoch) counts.set(key(p), (counts.get(key(p)) ?? 0) + 1);
    for (const p of mixed) expect(counts.get(key(p)), key(p)).toBe(p.op === "times" ? 3 : 1);
    expect(new BatchSampler(mixed, 6, 3, {}).batchAt(0).problems.map(key)).toEqual(new BatchSampler(mixed, 6, 3).batchAt(0).problems.map(key));
  });

  it("names a bad repeat count or an unknown operation", () => {
    expect(() => new BatchSampler(problems, 4, 0, { times: 0 })).toThrow(/repeats\.times.*0/);
    expect(() => new BatchSampler(problems, 4, 0, { divided: 1.5 })).toThrow(/1\.5/);
    expect(() => new BatchSampler(problems, 4, 0, { modulo: 2 } as Repeats)).toThrow(/"modulo".*plus, minus, times, divided/);
  });
});
