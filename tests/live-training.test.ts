import { afterAll, describe, expect, it } from "vitest";
import { allProblems, splitProblems } from "../lib/data";
import type { LivePlot } from "../lib/notebook/display";
import { LiveLine, accuracyFigure, lossFigure, scheduleSizedAt, shippedRun, trainLive } from "../lib/notebook/live-training";
import { Transformer } from "../lib/model";
import type { Figure } from "../lib/notebook/plot";
import type { ShippedMetadata } from "../lib/ladder/results";
import { EvalInfo, ScheduleFit, Trainer, runTraining } from "../lib/train";
import { useBackend } from "./helpers";

useBackend();

const SPLIT = splitProblems(allProblems(), 0.1, 0);
const TRAIN = SPLIT.train.slice(0, 400);
const TEST = SPLIT.test.slice(0, 40);
const TINY = { dModel: 16, numHeads: 2, numLayers: 1, seed: 0 };

/** Records what a live output was given, as a notebook cell would show it. */
function recorder() {
  const lines: string[] = [];
  const figures: Figure[] = [];
  const line: LiveLine = { text: (text) => lines.push(text) };
  const plot: LivePlot = { update: (fig) => figures.push(fig) };
  return { lines, figures, line, plot };
}

const trainers: Trainer[] = [];
afterAll(() => trainers.forEach((t) => t.dispose()));
const tinyTrainer = (warmupSteps: number) => {
  const trainer = new Trainer(new Transformer(TINY), TRAIN, { batchSize: 8, warmupSteps, seed: 0 });
  trainers.push(trainer);
  return trainer;
};

describe("scheduleSizedAt", () => {
  it("is the last step at which runTraining sizes the schedule, for short and long warm-ups", async () => {
    for (const warmupSteps of [0, 20, 60]) {
      const trainer = tinyTrainer(warmupSteps);
      const fittedAt: number[] = [];
      await runTraining(trainer, { timeBudgetSeconds: 3, fitScheduleToBudget: true, onScheduleFitted: () => fittedAt.push(trainer.step) });
      expect(trainer.step).toBeGreaterThan(scheduleSizedAt(warmupSteps)); // the tiny model is fast enough to get there
      expect(fittedAt[fittedAt.length - 1]).toBe(scheduleSizedAt(warmupSteps));
    }
  });
});

describe("trainLive", () => {
  it("evaluates before training, shows one total once the schedule is sized, and marks an under-trained run", async () => {
    const trainer = tinyTrainer(20);
    const progress = recorder();
    const [loss, accuracy] = [recorder(), recorder()];
    const seen: EvalInfo[] = [];
    const run = await trainLive(trainer, {
      test: TEST, evalEvery: 50, timeBudgetSeconds: 2, redrawSeconds: 0,
      progress: progress.line, lossPlot: loss.plot, accuracyPlot: accuracy.plot, onEval: (info) => seen.push(info),
    });
    expect(run.evals[0].step).toBe(0);
    expect(seen.map((e) => e.step)).toEqual(run.evals.map((e) => e.step));
    expect(run.evals[run.evals.length - 1].step).toBe(trainer.step);
    expect(run.losses.length).toBe(trainer.step);
    expect(run.steps).toBe(trainer.step);
    const [before, ...during] = progress.lines.slice(0, -1);
    expect(before).toBe("step 0 · answering the held-out problems before training");
    const sizedAt = scheduleSizedAt(20);
    const stepOf = (line: string) => Number(line.match(/^step ([\d,]+)/)![1].replace(/,/g, ""));
    const measuring = during.filter((l) => /^step [\d,]+ · .*measuring this machine's speed; the schedule's length is set at step 20$/.test(l));
    const withTotal = during.filter((l) => /^step [\d,]+ of [\d,]+ · /.test(l));
    expect(measuring.length + withTotal.length).toBe(during.length);
    expect(measuring.every((l) => stepOf(l) <= sizedAt) && withTotal.every((l) => stepOf(l) > sizedAt)).toBe(true);
    expect(withTotal.length).toBeGreaterThan(0); // the tiny model passes step 20 well within the budget
    const totals = new Set(withTotal.map((l) => l.match(/ of ([\d,]+) · /)![1]));
    expect([...totals]).toEqual([trainer.config.steps.toLocaleString("en-US")]); // one total, the final schedule's
    const last = progress.lines[progress.lines.length - 1];
    expect(last).toMatch(/^UNDER-TRAINED \(\d+\.\d% held out\) · finished: step [\d,]+ of [\d,]+/);
    expect(loss.figures[loss.figures.length - 1].layout.title?.text).toMatch(/^UNDER-TRAINED .*Training loss/);
    const lastAccuracy = accuracy.figures[accuracy.figures.length - 1];
    expect(lastAccuracy.layout.title?.text).toMatch(/^UNDER-TRAINED .*Exact match on held-out problems/);
    expect(lastAccuracy.data[0].x?.[0]).toBe(0); // the curve starts before training, so even one evaluation makes a line
    expect(run.fit).toBeDefined();
    expect((run.fit as ScheduleFit).totalSteps).toBe(trainer.config.steps);
  });
});

describe("figures", () => {
  it("draws the loss with a moving average over the last 50 steps", () => {
    const losses = Array.from({ length: 60 }, (_, i) => i + 1);
    const fig = lossFigure(losses);
    const mean = fig.data[1].y as number[];
    expect(mean[0]).toBe(1);
    expect(mean[49]).toBeCloseTo(25.5, 10);
    expect(mean[59]).toBeCloseTo(35.5, 10); // steps 11..60
  });

  it("draws one accuracy curve per operation", () => {
    const info = (step: number, plus: number): EvalInfo => ({ step, seconds: 0, loss: NaN, accuracy: plus, perOp: { plus }, answers: [] });
    const fig = accuracyFigure([info(0, 0), info(250, 0.5)]);
    expect(fig.data.map((t) => t.name)).toEqual(["plus", "minus", "times", "divided"]);
    expect(fig.data[0].y).toEqual([0, 0.5]);
  });
});

describe("shippedRun", () => {
  it("says what the model is, draws its shipped loss curve and evaluates it once", () => {
    const model = new Transformer(TINY);
    const metadata = { name: "course", steps: 5000, lossCurve: { every: 50, means: [3.5, 1.2, 0.3] } } as ShippedMetadata;
    const [progress, loss] = [recorder(), recorder()];
    const seen: EvalInfo[] = [];
    const run = shippedRun({ model, metadata }, TEST, { progress: progress.line, lossPlot: loss.plot, onEval: (info) => seen.push(info) });
    expect(progress.lines[0]).toMatch(/^the shipped course model: 5,000 steps/);
    expect(loss.figures[0].data[0].x).toEqual([50, 100, 150]);
    expect(run.evals).toEqual(seen);
    expect(run.evals[0].step).toBe(5000);
    expect(run.lossMeans).toEqual({ first: 3.5, last: 0.3, over: 50 });
    model.dispose();
  });
});
