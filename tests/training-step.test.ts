import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Batch, allProblems, splitProblems } from "../lib/data";
import { Transformer } from "../lib/model";
import { Adam } from "../lib/optimizer";
import { maskedCrossEntropy } from "../lib/loss";
import { SAME_WEIGHTS, TrainingStep, checkTrainingStep, compareOneStep } from "../lib/notebook/training-step";
import { tensorsLeftBy, useBackend } from "./helpers";

useBackend();

const TRAIN = splitProblems(allProblems(), 0.1, 0).train.slice(0, 300);
const TINY = { dModel: 16, numHeads: 2, numLayers: 1, seed: 0 };

/** The notebook's solution, with the masked loss passed through `reduce` (the identity: the solution itself). */
const stepWith = (reduce: (loss: tf.Scalar) => tf.Scalar): TrainingStep => (model: Transformer, adam: Adam, batch: Batch, learningRate: number) => {
  const weights = model.namedWeights();
  const targets = tf.tensor2d(batch.targets, undefined, "int32");
  const mask = tf.tensor2d(batch.lossMask);
  const { value, grads } = tf.variableGrads(() => reduce(maskedCrossEntropy(model.forward(batch.inputs).logits, targets, mask)), Object.values(weights));
  adam.apply(Object.fromEntries(Object.entries(weights).map(([name, w]) => [name, grads[w.name]])), learningRate);
  const loss = value.dataSync()[0];
  tf.dispose([targets, mask, value, ...Object.values(grads)]);
  return loss;
};
const solution = stepWith((loss) => loss);

let printed: string[] = [];
beforeEach(() => {
  printed = [];
  vi.spyOn(console, "log").mockImplementation((text: string) => void printed.push(text));
});
afterEach(() => vi.restoreAllMocks());

describe("compareOneStep", () => {
  it("finds the notebook's solution and lib's Trainer within float32 rounding of each other, far below the step", () => {
    const c = compareOneStep(solution, TINY, TRAIN, 0);
    expect(c.myLoss).toBeCloseTo(c.libLoss, 5);
    expect(c.difference).toBeLessThanOrEqual(SAME_WEIGHTS);
    expect(c.moved).toBeGreaterThan(10 * SAME_WEIGHTS); // the first step moves weights by about the learning rate
    expect(tensorsLeftBy(() => compareOneStep(solution, TINY, TRAIN, 0))).toBe(0);
  });
});

describe("checkTrainingStep", () => {
  it("prints PASS for the solution, with the losses and the differences", () => {
    expect(checkTrainingStep(solution, TINY, TRAIN, 0, "a hint")).toBe(true);
    expect(printed[0]).toMatch(/^PASS \(training step\).*\n  losses [\d.]+ \(yours\) and [\d.]+ \(lib's\);\n.*\n.*differ by at most/);
    expect(printed[0]).not.toMatch(/Hint/);
  });

  it("prints NOT YET with the hint for a step that does nothing, one that sums instead of averaging, and one that throws", () => {
    const cases: TrainingStep[] = [() => NaN, stepWith((loss) => loss.mul(100)), () => { throw new Error("oops"); }];
    for (const step of cases) expect(checkTrainingStep(step, TINY, TRAIN, 0, "a hint")).toBe(false);
    expect(printed[0]).toMatch(/^NOT YET \(training step\)[\s\S]*losses NaN \(yours\)[\s\S]*Hint: a hint$/);
    expect(printed[1]).toMatch(/they differ/); // Adam's first step hardly depends on the loss's scale, the loss itself does
    expect(printed[2]).toMatch(/^NOT YET \(training step\): your code threw: oops\nHint: a hint$/);
  });
});
