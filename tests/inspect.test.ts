import { describe, expect, it } from "vitest";
import { allProblems, makeProblem, promptIds, splitProblems } from "../lib/data";
import {
  MAINLY, ROLES, RoleWeights, RoutingSnapshot, attentionOnAnswer, describeOperandReading, halfwayStep, headsOf, meanByRole, promptRoles,
  readsEachOperand, roleWeights, routingSeries, specialists,
} from "../lib/inspect";
import { Transformer } from "../lib/model";
import { tensorsLeftBy, useBackend } from "./helpers";

useBackend();

const TEST = splitProblems(allProblems(), 0.1, 0).test;
const SMALL = { dModel: 16, numHeads: 2, numLayers: 2, seed: 3 };

/** Hand-made weights: every problem gets the same [head][role] rows. */
function weightsOf(rows: number[][], problems = 4, numHeads = rows.length): RoleWeights {
  const heads = rows.map((_, i) => ({ index: i, layer: Math.floor(i / numHeads), head: i % numHeads, label: `layer ${Math.floor(i / numHeads) + 1} · head ${(i % numHeads) + 1}` }));
  return { query: "=", heads, perProblem: Array.from({ length: problems }, () => rows.map((r) => r.slice())) };
}

describe("promptRoles", () => {
  it("gives every prompt token its role, two-word numbers and 'divided by' included", () => {
    const p = makeProblem(21, "divided", 3); // [START] twenty one divided by three =
    expect(promptRoles(p).map((r) => ROLES[r])).toEqual(["[START]", "first number", "first number", "operation", "operation", "second number", "="]);
    for (const q of TEST) expect(promptRoles(q).length).toBe(promptIds(q.question).length);
  });
});

describe("attentionOnAnswer", () => {
  it("gives the prompt and the model's answer as tokens, and one [T, T] causal grid per head of every layer", () => {
    const model = new Transformer(SMALL);
    const { tokens, grid } = attentionOnAnswer(model, "two plus three");
    expect(tokens.slice(0, 5)).toEqual(["[START]", "two", "plus", "three", "="]);
    expect(tokens).not.toContain("[END]");
    expect(grid.length).toBe(2);
    for (const heads of grid) {
      expect(heads.length).toBe(2);
      for (const rows of heads) {
        expect(rows.length).toBe(tokens.length);
        rows.forEach((row, q) => {
          expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
          expect(row.slice(q + 1).every((w) => w === 0)).toBe(true); // nothing after the query
        });
      }
    }
    model.dispose();
  });
});

describe("roleWeights", () => {
  it("sums each head's weights over the roles to 1, for every problem, with one row per head of every layer", () => {
    const model = new Transformer(SMALL);
    const w = roleWeights(model, TEST.slice(0, 60));
    expect(w.heads).toEqual(headsOf(model));
    expect(w.heads.map((h) => h.label)).toEqual(["layer 1 · head 1", "layer 1 · head 2", "layer 2 · head 1", "layer 2 · head 2"]);
    expect(w.perProblem.length).toBe(60);
    for (const heads of w.perProblem) {
      expect(heads.length).toBe(4);
      for (const byRole of heads) expect(byRole.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    model.dispose();
  });

  it("puts all the weight on the query's own role when each position sees only itself", () => {
    const model = new Transformer({ ...SMALL, attendTo: "self" });
    const problems = TEST.slice(0, 20);
    for (const [query, role] of [["=", "="], ["operation", "operation"]] as const) {
      for (const heads of roleWeights(model, problems, query).perProblem) {
        for (const byRole of heads) expect(byRole[ROLES.indexOf(role)]).toBeCloseTo(1, 6);
      }
    }
    model.dispose();
  });

  it("gives each problem the same weights in a mixed batch as alone, and keeps no tensors", () => {
    const model = new Transformer(SMALL);
    const problems = [TEST[0], TEST[600], TEST[1100], TEST[5]];
    const together = roleWeights(model, problems, "operation").perProblem;
    problems.forEach((p, i) => {
      const alone = roleWeights(model, [p], "operation").perProblem[0];
      alone.forEach((byRole, h) => byRole.forEach((x, r) => expect(together[i][h][r]).toBeCloseTo(x, 6)));
    });
    expect(tensorsLeftBy(() => roleWeights(model, problems))).toBe(0);
    model.dispose();
  });

  it("names what is wrong with its input", () => {
    const model = new Transformer(SMALL);
    expect(() => roleWeights(model, [])).toThrow(/no problems/);
    expect(() => roleWeights(model, TEST.slice(0, 2), "plus" as never)).toThrow(/"=" or "operation".*"plus"/);
    model.dispose();
  });
});

describe("specialists and reading each operand", () => {
  // head 1 reads the first number, head 2 the operation, head 3 the second number, head 4 [START]
  const ROWS = [[0.1, 0.8, 0.05, 0.05, 0], [0.2, 0.1, 0.6, 0.1, 0], [0.1, 0, 0.2, 0.7, 0], [1, 0, 0, 0, 0]];

  it("picks, for each role, the head with the largest mean weight, and says whether it mainly reads it", () => {
    const found = specialists(weightsOf(ROWS));
    expect(found.map((s) => [s.role, s.head.label, s.weight])).toEqual([
      ["first number", "layer 1 · head 1", 0.8], ["operation", "layer 1 · head 2", 0.6], ["second number", "layer 1 · head 3", 0.7],
    ]);
    expect(found.every((s) => s.reads)).toBe(true);
    const weak = specialists(weightsOf([[0.4, 0.3, 0.1, 0.2, 0]]));
    expect(weak.map((s) => s.reads)).toEqual([false, false, false]);
  });

  it("averages over problems", () => {
    const w = weightsOf([[0, 1, 0, 0, 0]], 2);
    w.perProblem[1] = [[0, 0, 0, 1, 0]];
    expect(meanByRole(w)).toEqual([[0, 0.5, 0, 0.5, 0]]);
  });

  it("reads each operand only where some head has at least MAINLY on each number", () => {
    const w = weightsOf(ROWS, 2);
    w.perProblem[1] = [[0, MAINLY - 0.01, 0, 0.5, 0.49], [1, 0, 0, 0, 0], [1, 0, 0, 0, 0], [1, 0, 0, 0, 0]];
    expect(readsEachOperand(w)).toEqual([true, false]);
  });

  it("with one head, reports how it splits its weight and never calls a model that answers well a failure", () => {
    const lines = describeOperandReading(weightsOf([[0.1, 0.4, 0.1, 0.4, 0]], 5), [true, true, true, true, false], 1);
    const text = lines.join(" ");
    expect(text).toMatch(/single attention head/);
    expect(text).toMatch(/its one head puts 40% of its weight on the first number on average, 10% on the operation, 40% on the second number\./);
    expect(text).toMatch(/80% of these problems right all the same/);
    expect(text).not.toMatch(/Not as|fail/i);
  });

  it("with several heads, says the story holds, or what the model does instead when it answers well", () => {
    expect(describeOperandReading(weightsOf(ROWS), [true, true, true, true], 2).join(" ")).toMatch(/In 100% .*As the story expects/);
    const split = weightsOf([[0.1, 0.45, 0, 0.45, 0], [1, 0, 0, 0, 0]]);
    const good = describeOperandReading(split, [true, true, true, true], 2).join(" ");
    expect(good).toMatch(/In 0% of the problems/);
    expect(good).toMatch(/answers 100% right all the same.*splits its weight.*indirectly/);
    expect(describeOperandReading(split, [true, true, true, true], 1).join(" ")).not.toMatch(/indirectly/);
    expect(describeOperandReading(split, [false, false, false, true], 2).join(" ")).toMatch(/only 25% right.*not have settled/);
    expect(() => describeOperandReading(split, [true], 2)).toThrow(/1 right\/wrong values for 4 problems/);
  });
});

describe("routing during training", () => {
  const head = { index: 1, layer: 0, head: 1, label: "layer 1 · head 2" };
  const snap = (step: number, w: number): RoutingSnapshot => ({ step, mean: [[1, 0, 0, 0, 0], [1 - w, 0, w, 0, 0]] });
  const specialist = { role: "operation" as const, head, weight: 0.9, reads: true };
  const snapshots = [snap(0, 0.1), snap(250, 0.2), snap(500, 0.6), snap(750, 0.9)];

  it("draws one curve per specialist: its weight on its role at every snapshot", () => {
    expect(routingSeries(snapshots, [specialist])).toEqual([{ name: "layer 1 · head 2 → operation", x: [0, 250, 500, 750], y: [0.1, 0.2, 0.6, 0.9] }]);
  });

  it("finds the first step at which the weight came half-way from start to end", () => {
    expect(halfwayStep(snapshots, specialist)).toBe(500); // (0.6 - 0.1) / 0.8 >= 0.5, (0.2 - 0.1) / 0.8 not
    expect(halfwayStep([snap(0, 0.3), snap(250, 0.3)], specialist)).toBeUndefined();
    expect(halfwayStep([snap(0, 0.9), snap(250, 0.5), snap(500, 0.1)], specialist)).toBe(250); // falling works too
  });
});
