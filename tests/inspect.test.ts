import { describe, expect, it } from "vitest";
import { allProblems, makeProblem, promptIds, splitProblems } from "../lib/data";
import {
  MAINLY, ROLES, RoleWeights, RoutingSnapshot, attentionOnProblem, headsOf, jobsByOperation, meanByRole, promptRoles, readersPerProblem,
  roleWeights, routingSeries, routingSnapshot, specialists, typicalProblem, weightOnRole, halfwayStep,
} from "../lib/analysis/inspect";
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

describe("attentionOnProblem", () => {
  it("gives the prompt and the correct answer as tokens, whatever the model says, and one [T, T] causal grid per head of every layer", () => {
    const model = new Transformer(SMALL);
    const { tokens, grid } = attentionOnProblem(model, makeProblem(2, "plus", 3));
    expect(tokens).toEqual(["[START]", "two", "plus", "three", "=", "five"]);
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

  it("reads a head's weight on a role from the grid's \"=\" row, as roleWeights measures it", () => {
    const model = new Transformer(SMALL);
    const p = makeProblem(21, "divided", 3); // two-token first number and operation
    const { grid } = attentionOnProblem(model, p);
    const measured = roleWeights(model, [p]);
    for (const head of measured.heads) {
      ROLES.forEach((role, r) => expect(weightOnRole(grid, p, head, role)).toBeCloseTo(measured.perProblem[0][head.index][r], 6));
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

describe("specialists, jobs per operation and readers per problem", () => {
  // head 1 reads the first number, head 2 the operation, head 3 the second number, head 4 [START]
  const ROWS = [[0.1, 0.8, 0.05, 0.05, 0], [0.2, 0.1, 0.6, 0.1, 0], [0.1, 0, 0.2, 0.7, 0], [1, 0, 0, 0, 0]];

  it("picks, for each role, the head with the largest mean weight, over all problems or the chosen ones", () => {
    expect(specialists(weightsOf(ROWS)).map((s) => [s.role, s.head.label, s.weight])).toEqual([
      ["first number", "layer 1 · head 1", 0.8], ["operation", "layer 1 · head 2", 0.6], ["second number", "layer 1 · head 3", 0.7],
    ]);
    const w = weightsOf(ROWS, 2);
    w.perProblem[1] = [[1, 0, 0, 0, 0], [0, 0.9, 0, 0, 0.1], [1, 0, 0, 0, 0], [1, 0, 0, 0, 0]];
    expect(specialists(w, [1])[0].head.label).toBe("layer 1 · head 2");
  });

  it("averages over problems, or over the chosen ones", () => {
    const w = weightsOf([[0, 1, 0, 0, 0]], 2);
    w.perProblem[1] = [[0, 0, 0, 1, 0]];
    expect(meanByRole(w)).toEqual([[0, 0.5, 0, 0.5, 0]]);
    expect(meanByRole(w, [1])).toEqual([[0, 0, 0, 1, 0]]);
    expect(() => meanByRole(w, [])).toThrow(/no problems chosen/);
  });

  it("lays out every head's mean weight on the first number, the operation and the second number, per operation", () => {
    const problems = [makeProblem(2, "plus", 3), makeProblem(6, "times", 8)];
    const w = weightsOf(ROWS, 2);
    w.perProblem[1] = ROWS.map(() => [0, 0, 1, 0, 0]); // in the times problem every head reads the operation
    const { columns, matrix } = jobsByOperation(w, problems);
    expect(columns).toEqual(["plus · 1st number", "plus · operation", "plus · 2nd number", "times · 1st number", "times · operation", "times · 2nd number"]);
    expect(matrix[0]).toEqual([0.8, 0.05, 0.05, 0, 1, 0]);
    expect(() => jobsByOperation(w, problems.slice(1))).toThrow(/1 problems for weights of 2/);
  });

  it("finds the problem of an operation whose weights are closest to that operation's mean, among those answered right", () => {
    const problems = [makeProblem(2, "plus", 3), makeProblem(4, "plus", 5), makeProblem(1, "plus", 1), makeProblem(6, "times", 8)];
    const w = weightsOf(ROWS, 4);
    w.perProblem[0] = ROWS.map(() => [0, 1, 0, 0, 0]); // far from the plus mean
    w.perProblem[3] = ROWS.map(() => [0, 0, 1, 0, 0]); // times: not a candidate
    expect(typicalProblem(w, problems, "plus", [true, true, true, true])).toBe(1); // 1 and 2 tie; the first wins
    expect(typicalProblem(w, problems, "plus", [true, false, false, true])).toBe(0); // the only plus problem answered right
    expect(typicalProblem(w, problems, "plus", [false, false, false, false])).toBe(1); // none right: all of them count
    expect(() => typicalProblem(w, problems, "minus", [true, true, true, true])).toThrow(/no "minus" problems among the 4/);
  });

  it("says per problem whether some head puts at least MAINLY on each gathered role", () => {
    const w = weightsOf(ROWS, 2);
    w.perProblem[1] = [[0, MAINLY - 0.01, 0, 0.5, 0.49], [1, 0, 0, 0, 0], [1, 0, 0, 0, 0], [1, 0, 0, 0, 0]];
    expect(readersPerProblem(w)).toEqual([
      { role: "first number", reads: [true, false] }, { role: "operation", reads: [true, false] }, { role: "second number", reads: [true, true] },
    ]);
  });
});

describe("routing during training", () => {
  it("draws one curve per gathered role: the share of problems with a head reading it, at every snapshot", () => {
    const snapshots: RoutingSnapshot[] = [{ step: 0, shares: [0.1, 0.2, 0.3] }, { step: 250, shares: [0.4, 0.9, 0.8] }];
    expect(routingSeries(snapshots)).toEqual([
      { name: '"=" has a head reading the first number', x: [0, 250], y: [0.1, 0.4] },
      { name: '"=" has a head reading the operation', x: [0, 250], y: [0.2, 0.9] },
      { name: '"=" has a head reading the second number', x: [0, 250], y: [0.3, 0.8] },
    ]);
  });

  it("measures the shares from the model's own attention", () => {
    const model = new Transformer({ ...SMALL, attendTo: "self" }); // "=" reads only itself: no head reads any number
    expect(routingSnapshot(model, TEST.slice(0, 10), 7)).toEqual({ step: 7, shares: [0, 0, 0] });
    model.dispose();
  });
});

describe("halfwayStep", () => {
  it("finds the first step at which a curve has made half its change from start to end, rising or falling", () => {
    const steps = [0, 100, 200, 300];
    expect(halfwayStep(steps, [0.2, 0.8, 0.9, 1])).toBe(100);
    expect(halfwayStep(steps, [0, 0.1, 0.5, 1])).toBe(200);
    expect(halfwayStep(steps, [3, 2.9, 1.5, 1])).toBe(200);
    expect(halfwayStep(steps, [0.5, 0.9, 0.1, 0.5])).toBeUndefined(); // ends where it started
    expect(() => halfwayStep(steps, [1, 2])).toThrow(/4 steps for 2 values/);
  });
});
