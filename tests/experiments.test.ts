import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPERATIONS } from "../lib/data";
import { LADDER_TABLE_HEADERS, attentionOnTarget, commonestAnswerGuess, headAttention, ladderFigure, ladderTableRows, lossCurvesFigure, nextTokenAccuracy } from "../lib/ladder/readings";
import { SEEDS, ladderOverSeeds } from "../lib/ladder/results";
import { SeedRuns, pointsAhead, stepsToLoss } from "../lib/ladder/seed-runs";
import { trainLadderLive } from "../lib/notebook/ladder-live";
import { runLadder } from "../lib/ladder/run-ladder";
import { evaluateUnpadded, modelOf, trainVariant } from "../lib/ladder/train-variant";
import { LADDER, VARIANTS, LadderSettings, Progress, Variant, VariantResult, checkSettings, LadderOutcome, lossCurveOf, ladderSplit, resultOf, stepsOf, variantParameters } from "../lib/ladder/variants";
import { answer, evaluate } from "../lib/generate";
import { DEFAULT_CONFIG, Transformer, makeConfig } from "../lib/model";
import type { ScatterTrace } from "../lib/notebook/plot";
import { VOCAB } from "../lib/vocab";
import { useBackend } from "./helpers";

useBackend();

const TINY = { dModel: 16, numHeads: 2, numLayers: 1 };
const QUICK: LadderSettings = { steps: 6, seed: 0, train: { batchSize: 8, warmupSteps: 2 } };
const TEST = ladderSplit(0).test;
const SOME = TEST.filter((_, i) => i % 40 === 0); // 29 held-out problems of every operation and length

describe("the ladder", () => {
  it("starts from the course model and changes one named thing per variant", () => {
    expect(LADDER[0]).toBe(VARIANTS.course);
    expect(makeConfig(VARIANTS.course.model)).toEqual(DEFAULT_CONFIG);
    expect(new Set(LADDER.map((v) => v.name)).size).toBe(LADDER.length);
    for (const variant of LADDER) expect(() => makeConfig(variant.model), variant.name).not.toThrow();
    const attendTo = LADDER.map((v) => makeConfig(v.model).attendTo);
    expect(attendTo).toContain("self");
    expect(attendTo).toContain("all");
  });

  it("checks its settings and variants, naming what is wrong", async () => {
    expect(() => checkSettings({ steps: 0, seed: 0 })).toThrow("steps (training steps per variant) must be a whole number >= 1, got 0.");
    expect(() => checkSettings({ steps: 2.5, seed: 0 })).toThrow("got 2.5");
    expect(() => checkSettings({ steps: 10, seed: -1 })).toThrow("seed must be a whole number >= 0, got -1.");
    const threeHeads: Variant = { name: "three heads", change: "", model: { numHeads: 3 } };
    await expect(runLadder([threeHeads], QUICK)).rejects.toThrow('Variant "three heads": numHeads 3 does not divide dModel 64');
    const twice: Variant = { name: "same", change: "", model: TINY };
    await expect(runLadder([twice, twice], QUICK)).rejects.toThrow('Two variants are called "same"');
    await expect(runLadder([twice], QUICK, { parallel: 0 })).rejects.toThrow("parallel must be a whole number >= 1, got 0.");
  });

  it("counts a variant's parameters and finds its result by name", () => {
    const course = new Transformer();
    expect(variantParameters(VARIANTS.course)).toBe(course.numParameters());
    course.dispose();
    expect(variantParameters(VARIANTS.oneLayer)).toBeLessThan(variantParameters(VARIANTS.course));
    const results = [{ variant: VARIANTS.noMask }, { variant: VARIANTS.course }] as VariantResult[];
    expect(resultOf(results, VARIANTS.course)).toBe(results[1]);
    expect(() => resultOf(results, VARIANTS.oneHead)).toThrow('No result for the variant "1 head"; the results are of "no mask", "course model".');
  });

  it("scales a variant's steps by its stepsFactor", () => {
    expect(stepsOf({ name: "a", change: "", model: {} }, { steps: 300, seed: 0 })).toBe(300);
    expect(stepsOf({ name: "a", change: "", model: {}, stepsFactor: 2 }, { steps: 300, seed: 0 })).toBe(600);
  });
});

describe("trainVariant", () => {
  it("trains the variant's model for its steps, reports progress, and is the same run for the same settings", async () => {
    const variant: Variant = { name: "tiny", change: "small", model: TINY, stepsFactor: 2 };
    const reports: Progress[] = [];
    const before = tf.memory().numTensors;
    const first = await trainVariant(variant, QUICK, (p) => reports.push(p));
    expect(tf.memory().numTensors).toBe(before);
    expect(first.steps).toBe(12);
    expect(first.losses).toHaveLength(12);
    expect(first.config).toMatchObject({ ...TINY, seed: 0 });
    expect(reports[reports.length - 1]).toMatchObject({ variant: "tiny", step: 12, steps: 12 });
    expect(reports.flatMap((r) => r.losses)).toEqual(first.losses);
    const lastTenth = first.losses.slice(-1); // 12 steps: the last tenth rounds to 1 step
    expect(first.finalLoss).toBeCloseTo(lastTenth[0], 3); // losses are kept to 4 digits, finalLoss is exact
    expect(first.heldOut.answers).toHaveLength(TEST.length);
    const again = await trainVariant(variant, QUICK);
    expect(again.losses).toEqual(first.losses);
    expect(again.heldOut.answers).toEqual(first.heldOut.answers);
    const model = modelOf(first); // the trained weights: it answers as the run did
    expect(evaluateUnpadded(model, TEST).answers).toEqual(first.heldOut.answers);
    model.dispose();
  });
});

describe("runLadder", () => {
  const variants: Variant[] = [
    { name: "short", change: "", model: TINY },
    { name: "long", change: "", model: TINY, stepsFactor: 3 },
    { name: "medium", change: "", model: TINY, stepsFactor: 2 },
  ];

  /** A runner that only records when each variant starts and ends, and how many run at once. */
  function recordingRunner() {
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const run = async (variant: Variant, settings: LadderSettings): Promise<VariantResult> => {
      log.push(`start ${variant.name}`);
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5 * stepsOf(variant, settings)));
      running -= 1;
      log.push(`end ${variant.name}`);
      return { variant, steps: stepsOf(variant, settings) } as VariantResult;
    };
    return { run, log, most: () => most };
  }

  it("runs `parallel` variants at a time, the longest first, and returns the results in the order given", async () => {
    const runner = recordingRunner();
    const finished: string[] = [];
    const results = await runLadder(variants, QUICK, { parallel: 2, runVariant: runner.run, onResult: (r) => finished.push(r.variant.name) });
    expect(results.map((r) => r.variant.name)).toEqual(["short", "long", "medium"]);
    expect(runner.most()).toBe(2);
    expect(runner.log.slice(0, 2)).toEqual(["start long", "start medium"]);
    expect(finished).toEqual(["medium", "long", "short"]);
  });

  it("runs one at a time by default, in this thread, with the same results as trainVariant", async () => {
    const runner = recordingRunner();
    await runLadder(variants, QUICK, { runVariant: runner.run });
    expect(runner.most()).toBe(1);
    const before = tf.memory().numTensors;
    const [short] = await runLadder(variants.slice(0, 1), QUICK);
    expect(tf.memory().numTensors).toBe(before);
    expect(short.losses).toEqual((await trainVariant(variants[0], QUICK)).losses);
  });
});

describe("evaluation and the mask", () => {
  let [causal, unmasked, selfOnly] = [] as Transformer[];
  beforeAll(() => {
    causal = new Transformer({ ...TINY, seed: 1 });
    unmasked = new Transformer({ ...TINY, attendTo: "all", seed: 1 });
    selfOnly = new Transformer({ ...TINY, attendTo: "self", seed: 1 });
  });
  afterAll(() => [causal, unmasked, selfOnly].forEach((m) => m.dispose()));

  it("evaluateUnpadded gives the causal model's evaluate() result", () => {
    const padded = evaluate(causal, SOME);
    const unpadded = evaluateUnpadded(causal, SOME);
    expect(unpadded.answers).toEqual(padded.answers);
    expect(unpadded.perOp).toEqual(padded.perOp);
    expect(unpadded.accuracy).toBeCloseTo(padded.accuracy, 12);
  });

  it("evaluateUnpadded answers as a model without the mask does one prompt at a time", () => {
    const unpadded = evaluateUnpadded(unmasked, SOME);
    expect(unpadded.answers).toEqual(SOME.map((p) => answer(unmasked, p.question)));
    expect(Object.keys(unpadded.perOp)).toEqual([...OPERATIONS]);
  });

  it("attentionOnTarget is 0 under the causal and self-only masks and above 0 without a mask", () => {
    for (const model of [causal, selfOnly]) {
      const weights = attentionOnTarget(model, SOME);
      expect(weights).toHaveLength(1);
      expect(weights[0]).toEqual([0, 0]);
    }
    const open = attentionOnTarget(unmasked, SOME);
    expect(open[0]).toHaveLength(2);
    for (const w of open[0]) expect(w).toBeGreaterThan(0.01); // about 1 / T for an untrained model
  });

  it("nextTokenAccuracy counts the answer tokens and [END] predicted right with the whole sequence as input", () => {
    const share = nextTokenAccuracy(causal, SOME);
    expect(share).toBeGreaterThanOrEqual(0);
    expect(share).toBeLessThanOrEqual(1);
    // the same count done one problem at a time
    let right = 0;
    let counted = 0;
    for (const p of SOME) {
      const one = nextTokenAccuracy(causal, [p]);
      const tokens = p.answer.split(" ").length + 1; // answer words and [END]
      right += one * tokens;
      counted += tokens;
    }
    expect(share).toBeCloseTo(right / counted, 10);
  });

  it("headAttention gives one head's weights on one problem, its tokens and a labelled heatmap", () => {
    const problem = SOME[0];
    const { tokens, weights, figure } = headAttention(causal, problem, 0, 1, "title");
    expect(tokens[0]).toBe("[START]");
    expect(tokens).toContain("=");
    expect(weights).toHaveLength(tokens.length);
    const all = tf.tidy(() => causal.forward([tokens.map((t) => VOCAB.indexOf(t))]).attention[0].arraySync() as number[][][][]);
    expect(weights).toEqual(all[0][1]);
    expect(figure.layout.coloraxis?.colorbar?.title?.text).toBe("weight");
  });

  it("leaves no tensors behind", () => {
    const before = tf.memory().numTensors;
    attentionOnTarget(unmasked, SOME);
    nextTokenAccuracy(unmasked, SOME);
    evaluateUnpadded(unmasked, SOME);
    headAttention(unmasked, SOME[0], 0, 0, "title");
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("table and figures", () => {
  const result = (name: string, accuracy: number): LadderOutcome => ({
    variant: { name, change: `${name} changed`, model: {} },
    config: makeConfig(),
    parameters: 105509,
    steps: 1500,
    finalLoss: 0.5,
    lossCurve: { every: 1, means: [2, 1, 0.5] },
    heldOut: { accuracy, perOp: { plus: 0.9, minus: 0.8, times: 0.5, divided: 0.25 } },
    weights: {},
  });
  const results = [result("course model", 0.85), result("no mask", 0.01)];

  it("has one row per variant with every column", () => {
    const rows = ladderTableRows(results);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toHaveLength(LADDER_TABLE_HEADERS.length);
    expect(rows[0]).toEqual(["course model", "course model changed", "105,509", "1,500", "0.50", "85.0%", "90.0%", "80.0%", "50.0%", "25.0%"]);
    expect(ladderTableRows([{ ...results[0], finalLoss: 0.0000974 }])[0][4]).toBe("0.000097"); // two significant digits, never 0.000
  });

  it("draws exact match as variants x operations, first variant on top", () => {
    const fig = ladderFigure(results);
    const trace = fig.data[0] as { z: number[][] };
    expect(trace.z.map((row) => row.map((v) => Number(v.toFixed(6))))).toEqual([[90, 80, 50, 25, 85], [90, 80, 50, 25, 1]]); // percent, as the tables
    expect(fig.layout.yaxis?.ticktext).toEqual(["course model", "no mask"]);
    expect(fig.layout.yaxis?.autorange).toBe("reversed");
    expect(fig.layout.xaxis?.ticktext).toEqual([...OPERATIONS, "all"]);
    expect(fig.layout.coloraxis).toMatchObject({ cmin: 0, cmax: 100, colorbar: { title: { text: "% right" } } });
    expect((fig.data[0] as { texttemplate?: string }).texttemplate).toBe("%{z:.1f}");
  });

  it("averages loss curves over blocks so that each has at most the points asked for", () => {
    const losses = Array.from({ length: 1000 }, (_, i) => 1 + (i % 10)); // blocks of 10 average to 5.5
    expect(lossCurveOf(losses, 100).every).toBe(10);
    const fig = lossCurvesFigure([{ name: "a", curve: lossCurveOf(losses, 100) }, { name: "b", curve: lossCurveOf(losses.slice(0, 7), 100) }]);
    const [a, b] = (fig.data as ScatterTrace[]).filter((trace) => trace.line?.dash !== "dot"); // each panel's own curve, not the grey reference
    expect(fig.layout.annotations?.map((note) => note.text)).toEqual(["a", "b"]);
    expect(fig.layout.title?.text).toBe("Training loss, each point the mean of 1 to 10 steps (grey: a)");
    expect(a.x).toHaveLength(100);
    expect(a.x[0]).toBe(10);
    expect(a.x[99]).toBe(1000);
    expect(new Set(a.y)).toEqual(new Set([5.5]));
    expect(b.y).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});

describe("over seeds", () => {
  it("pairs every variant's shipped runs seed by seed, and this notebook's own run last", () => {
    const shipped = ladderOverSeeds().find((r) => r.variant === VARIANTS.oneHead)!.runs;
    const own = { results: [{ variant: VARIANTS.oneHead, heldOut: { accuracy: 0.5 }, finalLoss: 1, lossCurve: { every: 1, means: [1] } }] as LadderOutcome[], seed: 7 };
    const runs = new SeedRuns(own).runsOf(VARIANTS.oneHead);
    expect(runs.map((r) => r.label)).toEqual([...SEEDS.map((s) => `seed ${s}`), "this run"]);
    expect(runs.map((r) => r.accuracy)).toEqual([...shipped.map((r) => r.accuracy), 0.5]);
    expect(runs[3].seed).toBe(7);
    const claims = new SeedRuns().claims([VARIANTS.oneHead, VARIANTS.course], "says", (x, c) => x.accuracy < c.accuracy, (x) => percentOf(x.accuracy));
    expect(claims.map((c) => c.measured)).toEqual(shipped.map((r) => `seed ${r.seed}: ${percentOf(r.accuracy)}`));
    expect(() => new SeedRuns().runsOf({ name: "mine", change: "", model: {} })).toThrow('No shipped runs of the variant "mine"');
  });

  it("measures gaps in points from the percentages as printed, and when a loss curve first falls below a level", () => {
    expect(pointsAhead(0.976, 0.026)).toBe(95);
    expect(pointsAhead(0.63668, 0.97619)).toBe(-33.9); // 63.7% - 97.6%, not -33.95 rounded
    const curve = { every: 50, means: [2, 0.5, 0.09, 0.2] };
    expect(stepsToLoss(curve, 0.1)).toBe(150);
    expect(stepsToLoss(curve, 0.01)).toBe(Infinity);
  });

  it("scores always giving the commonest training answer", () => {
    const { answer, accuracy, perOp } = commonestAnswerGuess(0);
    const { test } = ladderSplit(0);
    expect(answer).toBe("zero");
    expect(accuracy).toBe(test.filter((p) => p.answer === "zero").length / test.length);
    expect(perOp.plus).toBe(test.filter((p) => p.op === "plus" && p.answer === "zero").length / test.filter((p) => p.op === "plus").length);
  });
});

const percentOf = (share: number) => `${(100 * share).toFixed(1)}%`;

describe("trainLadderLive", () => {
  it("trains the variants, prints a line as each finishes, and returns the results in the order given", async () => {
    const printed: string[] = [];
    const log = console.log;
    console.log = (text: string) => void printed.push(text);
    try {
      const variants: Variant[] = [{ name: "small", change: "", model: TINY }, { name: "longer", change: "", model: TINY, stepsFactor: 2 }];
      const results = await trainLadderLive(variants, QUICK, { threads: 0 });
      expect(results.map((r) => [r.variant.name, r.steps])).toEqual([["small", 6], ["longer", 12]]);
      expect(printed.filter((line) => line.includes("held-out exact match"))).toHaveLength(2);
      expect(printed.some((line) => line.startsWith('plot "Training loss, each point the mean of 1 step (grey: small)": 1 scatter trace'))).toBe(true); // the figure as text outside a kernel, without "longer"
    } finally {
      console.log = log;
    }
  });
});

describe("runLadder on worker threads", () => {
  const variants: Variant[] = [
    { name: "causal", change: "", model: TINY },
    { name: "open", change: "", model: { ...TINY, attendTo: "all" }, stepsFactor: 2 },
  ];

  it("gives the same results as training in this thread, with progress from the threads", async () => {
    const progress: Progress[] = [];
    const onThreads = await runLadder(variants, QUICK, { threads: 2, onProgress: (p) => progress.push(p) });
    const here = await runLadder(variants, QUICK);
    expect(onThreads.map((r) => r.variant.name)).toEqual(["causal", "open"]);
    expect(onThreads.map((r) => r.losses)).toEqual(here.map((r) => r.losses));
    expect(onThreads.map((r) => r.heldOut)).toEqual(here.map((r) => r.heldOut));
    expect(progress.filter((p) => p.variant === "open").flatMap((p) => p.losses)).toEqual(here[1].losses);
    const model = modelOf(onThreads[1]); // the weights came back whole
    expect(evaluateUnpadded(model, SOME).answers).toEqual(SOME.map((p) => here[1].heldOut.answers[TEST.indexOf(p)]));
    model.dispose();
  });

  it("names the variant when it fails on its thread, and checks the thread count", async () => {
    await expect(runLadder(variants.slice(0, 1), { ...QUICK, train: { learningRate: -1 } }, { threads: 1 }))
      .rejects.toThrow('Ladder thread 0 failed during training "causal": learningRate must be positive, got -1.');
    await expect(runLadder(variants, QUICK, { threads: -1 })).rejects.toThrow("threads must be a whole number >= 0 (0 trains in this thread), got -1.");
  });
});
