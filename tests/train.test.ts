import * as tf from "@tensorflow/tfjs";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveCheckpoint } from "../lib/training/checkpoint";
import { readSafetensors } from "../lib/training/safetensors";
import { allProblems, makeBatch, splitProblems } from "../lib/data";
import { ModelConfig, Transformer } from "../lib/model";
import { batchLoss, maskedCrossEntropy } from "../lib/loss";
import { ScheduleFit, StepInfo, TrainConfig, Trainer, runTraining } from "../lib/train";
import { VOCAB_SIZE } from "../lib/vocab";
import { maxAbsDiff, softmax, take, tensorsLeftBy, useBackend } from "./helpers";

useBackend();

const SPLIT = splitProblems(allProblems(), 0.1, 0);
const TRAIN = SPLIT.train.slice(0, 240);
const TINY: Partial<ModelConfig> = { dModel: 16, numHeads: 2, numLayers: 1, contextLength: 12, seed: 0 };
const QUICK: Partial<TrainConfig> = { steps: 8, batchSize: 8, learningRate: 1e-2, warmupSteps: 2, minLearningRate: 1e-4, seed: 0 };

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "train-test-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function lossesOf(trainer: Trainer, steps: number): number[] {
  return Array.from({ length: steps }, () => trainer.trainStep().loss);
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("maskedCrossEntropy", () => {
  it("averages -log p(target) over the masked positions only (worked out in plain JS)", () => {
    const rows = [[1, 2, 3], [0.5, -1, 2], [4, 0, 0]]; // one sequence, T = 3, V = 3
    const targets = [2, 0, 1];
    const nll = rows.map((row, t) => -Math.log(softmax(row)[targets[t]]));
    const lossWith = (logitRows: number[][], mask: number[]) =>
      tf.tidy(() => maskedCrossEntropy(tf.tensor3d([logitRows]), tf.tensor2d([targets], undefined, "int32"), tf.tensor2d([mask])).dataSync()[0]);
    expect(lossWith(rows, [1, 1, 1])).toBeCloseTo(mean(nll), 5);
    expect(lossWith(rows, [0, 1, 1])).toBeCloseTo((nll[1] + nll[2]) / 2, 5);
    const otherFirstRow = [[9, -9, 0], rows[1], rows[2]];
    expect(lossWith(otherFirstRow, [0, 1, 1])).toBeCloseTo(lossWith(rows, [0, 1, 1]), 6); // masked positions do not count
    expect(lossWith(otherFirstRow, [1, 1, 1])).not.toBeCloseTo(lossWith(rows, [1, 1, 1]), 2);
  });

  it("batchLoss (lib/fast/ops's fast version) gives maskedCrossEntropy's value and gradients", () => {
    const model = new Transformer(TINY);
    const batch = makeBatch(TRAIN.slice(0, 16));
    const weights = Object.values(model.namedWeights());
    const plain = () => tf.tidy(() => maskedCrossEntropy(model.forward(batch.inputs).logits, tf.tensor2d(batch.targets, undefined, "int32"), tf.tensor2d(batch.lossMask)));
    const fast = tf.variableGrads(() => batchLoss(model, batch), weights);
    const reference = tf.variableGrads(plain, weights);
    expect(fast.value.dataSync()[0]).toBeCloseTo(reference.value.dataSync()[0], 5);
    for (const w of weights) expect(maxAbsDiff(fast.grads[w.name].dataSync(), reference.grads[w.name].dataSync()), w.name).toBeLessThan(1e-5);
    tf.dispose([fast.value, reference.value, ...Object.values(fast.grads), ...Object.values(reference.grads)]);
    model.dispose();
  });

  it("starts a little above ln(V) for an untrained model: its random readout has random preferences", () => {
    const model = new Transformer(TINY);
    const loss = take(batchLoss(model, makeBatch(TRAIN.slice(0, 32))))[0];
    expect(loss - Math.log(VOCAB_SIZE)).toBeGreaterThan(0.1); // not the uniform guess a zero readout would give
    expect(loss - Math.log(VOCAB_SIZE)).toBeLessThan(1.5); // nor confidently wrong
    model.dispose();
  });
});

describe("Trainer", () => {
  it("lowers the loss clearly in 60 steps on 240 problems (D 32, 2 heads, 1 layer)", () => {
    const model = new Transformer({ dModel: 32, numHeads: 2, numLayers: 1, contextLength: 12, seed: 0 });
    const trainer = new Trainer(model, TRAIN, { steps: 60, batchSize: 32, learningRate: 1e-2, warmupSteps: 10, minLearningRate: 1e-4 });
    const losses = lossesOf(trainer, 60);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(mean(losses.slice(-5))).toBeLessThan(0.5 * mean(losses.slice(0, 5)));
    expect(trainer.step).toBe(60);
    trainer.dispose();
  });

  it("gives identical losses for the same seeds and other losses for another model or batch seed", () => {
    const run = (model: Partial<ModelConfig>, train: Partial<TrainConfig>) => {
      const trainer = new Trainer(new Transformer({ ...TINY, ...model }), TRAIN, { ...QUICK, ...train });
      const losses = lossesOf(trainer, 4);
      trainer.dispose();
      return losses;
    };
    const first = run({}, {});
    expect(run({}, {})).toEqual(first);
    expect(maxAbsDiff(run({ seed: 1 }, {}), first)).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(run({}, { seed: 1 }), first)).toBeGreaterThan(1e-4);
  });

  it("resumes from a checkpoint exactly: same losses and same final weights as an uninterrupted run", () => {
    const straight = new Trainer(new Transformer(TINY), TRAIN, QUICK);
    const straightLosses = lossesOf(straight, 8);

    const first = new Trainer(new Transformer(TINY), TRAIN, QUICK);
    const firstLosses = lossesOf(first, 3);
    const p = path.join(dir, "resume.safetensors");
    first.save(p);
    first.dispose();
    const resumed = Trainer.resume(p, TRAIN);
    expect(resumed.step).toBe(3);
    expect(resumed.optimizer.step).toBe(3);
    expect(resumed.config).toEqual(straight.config);
    const resumedLosses = lossesOf(resumed, 5);

    expect(maxAbsDiff([...firstLosses, ...resumedLosses], straightLosses)).toBeLessThan(1e-5);
    const straightWeights = straight.model.namedWeights();
    for (const [name, w] of Object.entries(resumed.model.namedWeights())) {
      expect(maxAbsDiff(w.dataSync(), straightWeights[name].dataSync()), name).toBeLessThan(1e-6);
      expect(maxAbsDiff(resumed.optimizer.state().v[name], straight.optimizer.state().v[name]), `adam.v.${name}`).toBeLessThan(1e-6);
    }
    straight.dispose();
    resumed.dispose();
  });

  it("refuses to resume from a checkpoint that holds only a model", () => {
    const model = new Transformer(TINY);
    const p = path.join(dir, "model-only.safetensors");
    saveCheckpoint(p, model);
    expect(() => Trainer.resume(p, TRAIN)).toThrow(/model-only\.safetensors.*no training state/);
    model.dispose();
  });

  it("does not grow tfjs's tensor count across training steps", () => {
    const trainer = new Trainer(new Transformer(TINY), TRAIN, QUICK);
    trainer.trainStep(); // warm-up
    expect(tensorsLeftBy(() => lossesOf(trainer, 3))).toBe(0);
    trainer.dispose();
  });

  it("names the step and suggests a lower learning rate when the loss is NaN, leaking nothing", () => {
    const trainer = new Trainer(new Transformer(TINY), TRAIN, QUICK);
    trainer.trainStep();
    tf.tidy(() => trainer.model.head.assign(tf.fill(trainer.model.head.shape, NaN)));
    const before = Object.values(trainer.model.namedWeights()).map((w) => Array.from(w.dataSync()));
    let error: Error | undefined;
    const left = tensorsLeftBy(() => {
      try {
        trainer.trainStep();
      } catch (e) {
        error = e as Error;
      }
    });
    expect(error?.message).toMatch(/NaN.*step 2\b/);
    expect(error?.message).toMatch(/lower learning rate/);
    expect(left).toBe(0);
    expect(trainer.step).toBe(1);
    const after = Object.values(trainer.model.namedWeights()).map((w) => Array.from(w.dataSync()));
    expect(after).toEqual(before); // NaN compares equal to NaN in toEqual
    trainer.dispose();
  });

  it("stops with that error when a huge learning rate makes training diverge", () => {
    const trainer = new Trainer(new Transformer(TINY), TRAIN, { ...QUICK, learningRate: 1e30, warmupSteps: 0, steps: 10 });
    const done: StepInfo[] = [];
    let error: Error | undefined;
    try {
      for (let i = 0; i < 10; i++) done.push(trainer.trainStep());
    } catch (e) {
      error = e as Error;
    }
    expect(done.length).toBeLessThan(10);
    expect(error?.message).toMatch(new RegExp(`at step ${done.length + 1}\\b.*lower learning rate than 1e\\+30`));
    expect(trainer.step).toBe(done.length);
    trainer.dispose();
  });

  it("follows the warm-up schedule and reports the learning rate of each step", () => {
    const trainer = new Trainer(new Transformer(TINY), TRAIN, { ...QUICK, learningRate: 0.01, warmupSteps: 4 });
    expect(trainer.learningRate()).toBeCloseTo(0.0025, 12);
    const infos = [1, 2, 3, 4].map(() => trainer.trainStep());
    expect(infos.map((i) => i.step)).toEqual([1, 2, 3, 4]);
    infos.forEach((info, i) => expect(info.learningRate).toBeCloseTo((0.01 * (i + 1)) / 4, 12));
    trainer.dispose();
  });

  it("trainOn takes one step on the batch given and says how long its two halves took", () => {
    const trainer = new Trainer(new Transformer(TINY), TRAIN, QUICK);
    const batch = makeBatch(SPLIT.test.slice(0, 6)); // not from the sampler
    const lossBefore = take(batchLoss(trainer.model, batch))[0];
    const info = trainer.trainOn(batch);
    expect(info.step).toBe(1);
    expect(trainer.step).toBe(1);
    expect(info.loss).toBeCloseTo(lossBefore, 5);
    expect(take(batchLoss(trainer.model, batch))[0]).toBeLessThan(lossBefore);
    for (const ms of [info.gradientMs, info.updateMs]) expect(ms >= 0 && ms < 60_000).toBe(true);
    trainer.dispose();
  });

  it("oversamples the operations its config names", () => {
    const mixed = [...SPLIT.train.filter((p) => p.op === "plus").slice(0, 4), ...SPLIT.train.filter((p) => p.op === "times").slice(0, 4)];
    const trainer = new Trainer(new Transformer(TINY), mixed, { ...QUICK, batchSize: 4, oversample: { times: 2 } });
    const epoch = [0, 1, 2].flatMap((s) => trainer.sampler.batchAt(s).problems); // 4 + 2 * 4 = 12 problems
    expect(epoch.filter((p) => p.op === "times")).toHaveLength(8);
    expect(epoch.filter((p) => p.op === "plus")).toHaveLength(4);
    trainer.dispose();
  });

  it("names a bad steps, batchSize, learningRate or weightDecay", () => {
    const model = new Transformer(TINY);
    expect(() => new Trainer(model, TRAIN, { steps: 0 })).toThrow(/steps.*0/);
    expect(() => new Trainer(model, TRAIN, { batchSize: 2.5 })).toThrow(/batchSize.*2\.5/);
    expect(() => new Trainer(model, TRAIN, { learningRate: -1 })).toThrow(/learningRate.*-1/);
    expect(() => new Trainer(model, TRAIN, { weightDecay: -0.1 })).toThrow(/weightDecay.*-0\.1/);
    expect(() => new Trainer(model, TRAIN, { warmupSteps: -5 })).toThrow(/warmupSteps.*-5/);
    expect(() => new Trainer(model, TRAIN, { minLearningRate: -1 })).toThrow(/minLearningRate.*between 0 and learningRate.*-1/);
    expect(() => new Trainer(model, TRAIN, { learningRate: 1e-3, minLearningRate: 1e-2 })).toThrow(/minLearningRate.*\(0\.001\).*0\.01/);
    expect(() => new Trainer(model, [], {})).toThrow(/no problems/);
    model.dispose();
  });
});

describe("runTraining", () => {
  it("trains the configured steps, evaluates every evalEvery steps and saves a resumable checkpoint", async () => {
    const trainer = new Trainer(new Transformer(TINY), TRAIN, { ...QUICK, steps: 6 });
    const p = path.join(dir, "run.safetensors");
    const steps: number[] = [];
    const evaluations = await runTraining(trainer, {
      test: SPLIT.test.slice(0, 12), evalEvery: 4, checkpointPath: p, checkpointEvery: 4, onStep: (info) => steps.push(info.step),
    });
    expect(steps).toEqual([1, 2, 3, 4, 5, 6]);
    expect(evaluations.map((e) => e.step)).toEqual([4, 6]);
    for (const e of evaluations) {
      expect(e.answers).toHaveLength(12);
      expect(Number.isFinite(e.loss)).toBe(true);
    }
    const resumed = Trainer.resume(p, TRAIN);
    expect(resumed.step).toBe(6);
    resumed.dispose();
    trainer.dispose();
  });

  it("stores checkpointMetadata with its checkpoints", async () => {
    const trainer = new Trainer(new Transformer(TINY), TRAIN, { ...QUICK, steps: 2 });
    const p = path.join(dir, "labelled.safetensors");
    await runTraining(trainer, { checkpointPath: p, checkpointMetadata: { ops: "plus" } });
    const { metadata } = readSafetensors(p);
    expect(metadata.ops).toBe("plus");
    expect(metadata.step).toBe("2");
    trainer.dispose();
  });

  it("fits the schedule to a time budget: the total steps follow the measured speed, are saved, and the run ends with them", async () => {
    const BUDGET_S = 3;
    const trainer = new Trainer(new Transformer(TINY), TRAIN, { ...QUICK, steps: 100_000, warmupSteps: 20 });
    const p = path.join(dir, "fitted.safetensors");
    const fits: ScheduleFit[] = [];
    const started = Date.now();
    await runTraining(trainer, { timeBudgetSeconds: BUDGET_S, fitScheduleToBudget: true, checkpointPath: p, onScheduleFitted: (fit) => fits.push(fit) });
    expect(fits).toHaveLength(1);
    const [{ totalSteps, stepsPerSecond, measuredSteps }] = fits;
    expect(measuredSteps).toBe(16); // steps 4 to 20, inside the warm-up
    expect(totalSteps).toBeGreaterThan(20);
    expect(totalSteps).toBeLessThan(100_000);
    expect(Math.abs(totalSteps - BUDGET_S * stepsPerSecond)).toBeLessThan(0.5 * totalSteps); // about the steps the budget holds
    expect(trainer.config.steps).toBe(totalSteps);
    expect(trainer.step).toBeLessThanOrEqual(totalSteps);
    expect((Date.now() - started) / 1000).toBeLessThan(60);
    expect(JSON.parse(readSafetensors(p).metadata.train).steps).toBe(totalSteps); // a resumed run keeps the fitted schedule
    trainer.dispose();
  });

  it("does not count evaluations or their onEval callback as training time", async () => {
    const trainer = new Trainer(new Transformer(TINY), TRAIN, { ...QUICK, steps: 12 });
    const busy = (ms: number) => { const until = Date.now() + ms; while (Date.now() < until); };
    const evaluations = await runTraining(trainer, { test: SPLIT.test.slice(0, 4), evalEvery: 2, timeBudgetSeconds: 1.5, onEval: () => busy(400) });
    expect(trainer.step).toBe(12); // 6 callbacks of 0.4 s would have used up a budget of 1.5 s after 8 steps
    for (const e of evaluations) expect(e.seconds).toBeLessThan(1.5);
    trainer.dispose();
  });

  it("fits again at the end of a longer warm-up, on the steady speed, and never beyond the configured steps", async () => {
    const trainer = new Trainer(new Transformer(TINY), TRAIN, { ...QUICK, steps: 100_000, warmupSteps: 80 });
    const fits: ScheduleFit[] = [];
    await runTraining(trainer, { timeBudgetSeconds: 4, fitScheduleToBudget: true, onScheduleFitted: (fit) => fits.push(fit) });
    expect(fits.map((f) => f.measuredSteps)).toEqual([40, 30]); // steps 10 to 50, then 50 to 80
    expect(trainer.config.steps).toBe(fits[1].totalSteps);
    const capped = new Trainer(new Transformer(TINY), TRAIN, { ...QUICK, steps: 90, warmupSteps: 80 });
    const cappedFits: ScheduleFit[] = [];
    await runTraining(capped, { timeBudgetSeconds: 60, fitScheduleToBudget: true, onScheduleFitted: (fit) => cappedFits.push(fit) });
    expect(cappedFits.map((f) => f.totalSteps)).toEqual([90, 90]);
    expect(capped.step).toBe(90);
    trainer.dispose();
    capped.dispose();
  });

  it("does not refit a resumed run or one without a budget", async () => {
    const trainer = new Trainer(new Transformer(TINY), TRAIN, { ...QUICK, steps: 30 });
    let fitted = false;
    await runTraining(trainer, { fitScheduleToBudget: true, onScheduleFitted: () => (fitted = true) });
    expect(fitted).toBe(false);
    trainer.setTotalSteps(40);
    await runTraining(trainer, { fitScheduleToBudget: true, timeBudgetSeconds: 60, onScheduleFitted: () => (fitted = true) });
    expect(fitted).toBe(false); // it did not start at step 0
    expect(trainer.step).toBe(40);
    expect(() => trainer.setTotalSteps(39)).toThrow(/steps must be a whole number >= 40.*39/);
    trainer.dispose();
  });

  it("stops when asked to", async () => {
    const trainer = new Trainer(new Transformer(TINY), TRAIN, { ...QUICK, steps: 50 });
    await runTraining(trainer, { shouldStop: () => trainer.step >= 3 });
    expect(trainer.step).toBe(3);
    trainer.dispose();
  });
});
