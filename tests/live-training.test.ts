import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { allProblems, splitProblems } from "../lib/data";
import type { LivePlot } from "../lib/notebook/display";
import {
  LiveLine, accuracyFigure, decadeRange, evaluationSpacing, lossFigure, lossLog, scheduleSizedAt, shippedRun, trainLive,
} from "../lib/notebook/live-training";
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
    const run = await trainLive(trainer, TEST, 2, (info, model) => {
      expect(model).toBe(trainer.model);
      seen.push(info);
    }, { redrawSeconds: 0, progress: progress.line, lossPlot: loss.plot, accuracyPlot: accuracy.plot });
    expect(run.model).toBe(trainer.model);
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

  it("spaces its evaluations over the sized schedule, so that a short run has several, at round steps after the sizing", async () => {
    const trainer = tinyTrainer(20);
    const run = await trainLive(trainer, TEST, 2, undefined, { evaluations: 5, redrawSeconds: 60, progress: recorder().line, lossPlot: recorder().plot, accuracyPlot: recorder().plot });
    const spacing = evaluationSpacing(trainer.config.steps, 5);
    const steps = run.evals.map((e) => e.step);
    expect(steps[0]).toBe(0);
    expect(steps[steps.length - 1]).toBe(trainer.step);
    const between = steps.slice(1, -1);
    expect(between.length).toBeGreaterThanOrEqual(2);
    expect(between.every((s) => s % spacing === 0 && s > scheduleSizedAt(20))).toBe(true);
    expect(run.evals.every((e, i) => i === 0 || e.seconds >= run.evals[i - 1].seconds)).toBe(true); // training time runs on across the two calls
    expect(run.seconds).toBeLessThanOrEqual(2.5);
  });
});

describe("evaluationSpacing", () => {
  it("is about the schedule's length over the evaluations wanted, rounded to 1, 2 or 5 times a power of ten", () => {
    expect(evaluationSpacing(5000)).toBe(500);
    expect(evaluationSpacing(2000)).toBe(200);
    expect(evaluationSpacing(385)).toBe(50);
    expect(evaluationSpacing(150)).toBe(20);
    expect(evaluationSpacing(3)).toBe(1);
  });
});

describe("lossLog", () => {
  let printed: string[] = [];
  afterEach(() => vi.restoreAllMocks());
  const run = async (losses: number[]) => {
    printed = [];
    vi.spyOn(console, "log").mockImplementation((text: string) => void printed.push(text));
    const log = lossLog(losses.length);
    for (const loss of losses) await log.add(loss);
    return log;
  };

  it("prints the mean loss of every tenth of the loop, then PASS when the last tenth's is clearly below the first's", async () => {
    const log = await run(Array.from({ length: 100 }, (_, i) => 3 - i / 50)); // 3 down to 1.02
    expect(log.losses).toHaveLength(100);
    expect(printed).toHaveLength(11);
    expect(printed[0]).toBe("step 10 of 100: mean loss of steps 1-10 2.910");
    expect(printed[9]).toMatch(/^step 100 of 100: mean loss of steps 91-100 1\.110$/);
    expect(printed[10]).toBe("PASS (your loop): the mean loss fell from 2.910 (the first 10 steps) to 1.110 (the last 10).");
  });

  it("prints NOT YET when the loss did not fall, and uses the last tenth when the steps do not divide by ten", async () => {
    await run(Array.from({ length: 25 }, () => 2));
    expect(printed.filter((l) => l.startsWith("step"))).toHaveLength(10);
    expect(printed[printed.length - 1]).toMatch(/^NOT YET \(your loop\): the mean loss went from 2\.000 \(the first 2 steps\) to 2\.000 \(the last 2\): it did not fall\.$/);
  });

  it("names a loop too short to judge", () => {
    expect(() => lossLog(5)).toThrow(/at least 10, got 5/);
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

  it("gives the loss's log axis a range of whole decades around the data, so that ticks cover every value", () => {
    expect(decadeRange([1.11, 3.9])).toEqual([1, 10]);
    expect(decadeRange([0.0012, 3.9, NaN])).toEqual([0.001, 10]);
    expect(decadeRange([2, 2])).toEqual([1, 10]);
    expect(decadeRange([])).toBeUndefined();
    const axis = lossFigure([3.9, 2, 1.11]).layout.yaxis!;
    expect(Math.min(...axis.tickvals!)).toBeLessThanOrEqual(1.11);
    expect(Math.max(...axis.tickvals!)).toBeGreaterThanOrEqual(3.9);
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
    const run = shippedRun(TEST, (info, m) => {
      expect(m).toBe(model);
      seen.push(info);
    }, { progress: progress.line, lossPlot: loss.plot }, () => ({ model, metadata }));
    expect(run.model).toBe(model);
    expect(progress.lines[0]).toMatch(/^the shipped course model: 5,000 steps/);
    expect(loss.figures[0].data[0].x).toEqual([50, 100, 150]);
    expect(run.evals).toEqual(seen);
    expect(run.evals[0].step).toBe(5000);
    expect(run.lossMeans).toEqual({ first: 3.5, last: 0.3, over: 50 });
    model.dispose();
  });
});
