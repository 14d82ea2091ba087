// Experiments: variants of the course model trained on the same task, budget and seed (a ladder),
// so that each part of the transformer shows what it buys: attention, the causal mask, heads,
// layers, residual connections and where the norm sits. Notebook 7 runs the ladder.
import * as tf from "@tensorflow/tfjs";
import { Worker } from "worker_threads";
import { BackendName } from "./backend";
import { OPERATIONS, Operation, Problem, allProblems, makeBatch, promptIds, splitProblems } from "./data";
import { Evaluation, evaluate } from "./generate";
import { ModelConfig, Transformer, makeConfig } from "./model";
import { Figure, lineChart, matrixHeatmap } from "./plot";
import { StoredTensor } from "./safetensors";
import { END_ID } from "./vocab";
import { startThread } from "./threads";
import { DEFAULT_TRAIN_CONFIG, TrainConfig, Trainer, runTraining } from "./train";

export interface Variant {
  name: string; // short, for table rows and figure labels: "no mask"
  change: string; // what differs from the course model, in words
  model: Partial<ModelConfig>; // overrides of the course model (lib's DEFAULT_CONFIG); the seed comes from the settings
  stepsFactor?: number; // trains for this many times the ladder's steps (default 1)
}

/** The course model and one change at a time; the narrow pair asks whether heads matter once each head is thin. */
export const VARIANTS = {
  course: { name: "course model", change: "D 64, 4 heads, 2 layers, pre-norm, causal mask", model: {} },
  noAttention: { name: "no attention", change: 'each position sees only itself (attendTo "self")', model: { attendTo: "self" } },
  noMask: { name: "no mask", change: 'every position sees every other, later ones too (attendTo "all")', model: { attendTo: "all" } },
  oneHead: { name: "1 head", change: "one head as wide as the model (Dh 64) instead of 4 of Dh 16", model: { numHeads: 1 } },
  oneLayer: { name: "1 layer", change: "one block instead of two", model: { numLayers: 1 } },
  oneLayerLonger: { name: "1 layer, 2x steps", change: "one block, trained for twice the steps", model: { numLayers: 1 }, stepsFactor: 2 },
  noResidual: { name: "no residual", change: "each part replaces x instead of adding to it (residual false)", model: { residual: false } },
  postNorm: { name: "post-norm", change: 'norm after each sum, as in the original Transformer (norm "post")', model: { norm: "post" } },
  d16FourHeads: { name: "D 16, 4 heads", change: "a quarter as wide: 4 heads of Dh 4", model: { dModel: 16 } },
  d16OneHead: { name: "D 16, 1 head", change: "a quarter as wide: 1 head of Dh 16", model: { dModel: 16, numHeads: 1 } },
  gpt2Start: { name: "GPT-2's start", change: 'weight matrices start at spread 0.02, as GPT-2 does, not 1/√fan-in (init "gpt-2")', model: { init: "gpt-2" } },
} satisfies Record<string, Variant>;

/** Every variant, the course model first. */
export const LADDER: readonly Variant[] = Object.values(VARIANTS);

/**
 * Notebook 6's recipe, with each batch in one piece: a variant trains in one thread, where cutting
 * batches into shards (for worker threads that share one run) only costs time.
 * `npm run train -- --shards 1 --workers 0` trains the same way.
 */
export const LADDER_TRAIN_CONFIG: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, shards: 1 };

export interface LadderSettings {
  steps: number; // training steps per variant (times its stepsFactor); the learning-rate schedule ends there
  seed: number; // initial weights, held-out split and batch order, the same for every variant
  train?: Partial<TrainConfig>; // anything else that differs from LADDER_TRAIN_CONFIG
}

/** A training-loss curve: the mean loss over each block of `every` steps, 4 significant digits. */
export interface LossCurve {
  every: number;
  means: number[];
}
export const LOSS_CURVE_POINTS = 100;

/** Block means of per-step losses, at most `points` of them. */
export function lossCurveOf(losses: readonly number[], points = LOSS_CURVE_POINTS): LossCurve {
  const every = Math.max(1, Math.ceil(losses.length / points));
  const means: number[] = [];
  for (let start = 0; start < losses.length; start += every) means.push(Number(mean(losses.slice(start, start + every)).toPrecision(4)));
  return { every, means };
}

/** What a trained variant left, trained here or loaded from the shipped results (lib/results.ts). */
export interface LadderOutcome {
  variant: Variant;
  config: ModelConfig;
  parameters: number;
  steps: number;
  finalLoss: number; // mean training loss over the last tenth of the steps (unrounded)
  heldOut: { accuracy: number; perOp: Partial<Record<Operation, number>> }; // greedy exact match on the held-out problems
  lossCurve: LossCurve;
  weights: Record<string, StoredTensor>; // the trained weights, for modelOf()
}

/** What one variant's run left: plain data, so that it can come back from a worker thread. */
export interface VariantResult extends LadderOutcome {
  seconds: number; // training time, evaluation not included
  losses: number[]; // training loss (answer tokens and [END]) at every step, 4 significant digits
  heldOut: Evaluation;
}

/** Progress of one variant, sent every PROGRESS_EVERY steps and at its last step. */
export interface Progress {
  variant: string; // its name
  step: number; // steps done
  steps: number; // steps it will do
  losses: number[]; // the losses of the steps since the previous report
}
export const PROGRESS_EVERY = 50;

/** Trains one variant and returns its result; anything that trains a variant elsewhere (a worker thread) has this shape. */
export type VariantRunner = (variant: Variant, settings: LadderSettings, onProgress?: (progress: Progress) => void) => Promise<VariantResult>;

/** Throws, naming the setting, unless the settings can train a ladder. */
export function checkSettings(settings: LadderSettings): void {
  const { steps, seed } = settings;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps (training steps per variant) must be a whole number >= 1, got ${steps}.`);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`seed must be a whole number >= 0, got ${seed}.`);
}

function checkVariants(variants: readonly Variant[]): void {
  const names = new Set<string>();
  for (const variant of variants) {
    if (names.has(variant.name)) throw new Error(`Two variants are called "${variant.name}"; every variant needs its own name.`);
    names.add(variant.name);
    const factor = variant.stepsFactor ?? 1;
    if (!(factor > 0)) throw new Error(`Variant "${variant.name}": stepsFactor must be above 0, got ${factor}.`);
    try {
      makeConfig(variant.model);
    } catch (e) {
      throw new Error(`Variant "${variant.name}": ${(e as Error).message}`);
    }
  }
}

export function stepsOf(variant: Variant, settings: LadderSettings): number {
  return Math.max(1, Math.round(settings.steps * (variant.stepsFactor ?? 1)));
}

/** About proportional to the variant's training time: its steps times layers times (width plus a fixed cost per layer). */
export function trainingCost(variant: Variant, settings: LadderSettings): number {
  const { numLayers, dModel } = makeConfig(variant.model);
  return stepsOf(variant, settings) * numLayers * (dModel + 32);
}

/** How many weights the variant's model has. */
export function variantParameters(variant: Variant): number {
  const model = new Transformer(variant.model);
  const count = model.numParameters();
  model.dispose();
  return count;
}

/** The result of `variant` among `results`. */
export function resultOf<R extends LadderOutcome>(results: readonly R[], variant: Variant): R {
  const found = results.find((r) => r.variant.name === variant.name);
  if (!found) throw new Error(`No result for the variant "${variant.name}"; the results are of ${results.map((r) => `"${r.variant.name}"`).join(", ")}.`);
  return found;
}

/** The held-out split every variant uses: the same as notebook 6 and `npm run train` for this seed. */
export function ladderSplit(seed: number): { train: Problem[]; test: Problem[] } {
  return splitProblems(allProblems(), 0.1, seed);
}

/**
 * Greedy exact match with every prompt batched only with prompts of its own length, so no row is
 * padded. lib's evaluate() pads shorter prompts on the right, which only the causal mask hides:
 * a model without it ("all") would see the padding where the answer should come.
 */
export function evaluateUnpadded(model: Transformer, problems: readonly Problem[]): Evaluation {
  const byLength = new Map<number, number[]>(); // prompt length -> indices into problems
  problems.forEach((p, i) => {
    const length = promptIds(p.question).length;
    byLength.set(length, [...(byLength.get(length) ?? []), i]);
  });
  const answers = new Array<string>(problems.length);
  const correctByOp = new Map<Operation, number>();
  for (const indices of byLength.values()) {
    const group = indices.map((i) => problems[i]);
    const result = evaluate(model, group);
    indices.forEach((i, row) => (answers[i] = result.answers[row]));
    for (const op of OPERATIONS) {
      const count = group.filter((p) => p.op === op).length;
      if (count > 0) correctByOp.set(op, (correctByOp.get(op) ?? 0) + Math.round((result.perOp[op] ?? 0) * count));
    }
  }
  const perOp: Partial<Record<Operation, number>> = {};
  let correct = 0;
  for (const op of OPERATIONS) {
    const count = problems.filter((p) => p.op === op).length;
    if (count === 0) continue;
    perOp[op] = (correctByOp.get(op) ?? 0) / count;
    correct += correctByOp.get(op) ?? 0;
  }
  return { accuracy: problems.length ? correct / problems.length : 0, perOp, answers };
}

function storedWeights(model: Transformer): Record<string, StoredTensor> {
  const out: Record<string, StoredTensor> = {};
  for (const [name, v] of Object.entries(model.namedWeights())) out[name] = { shape: v.shape.slice(), data: v.dataSync() as Float32Array };
  return out;
}

/** A model with a result's trained weights (dispose it, or make it inside remake()). */
export function modelOf(result: LadderOutcome): Transformer {
  const model = new Transformer(result.config);
  for (const [name, variable] of Object.entries(model.namedWeights())) {
    const { shape, data } = result.weights[name];
    tf.tidy(() => variable.assign(tf.tensor(data, shape)));
  }
  return model;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** Trains one variant in this thread on the ladder's split, then evaluates it on the held-out problems. */
export async function trainVariant(variant: Variant, settings: LadderSettings, onProgress?: (progress: Progress) => void): Promise<VariantResult> {
  checkSettings(settings);
  checkVariants([variant]);
  const { train, test } = ladderSplit(settings.seed);
  const steps = stepsOf(variant, settings);
  const model = new Transformer({ ...variant.model, seed: settings.seed });
  const trainer = new Trainer(model, train, { ...LADDER_TRAIN_CONFIG, ...settings.train, steps, seed: settings.seed });
  try {
    const losses: number[] = []; // rounded, to keep results and figures small
    const lastLosses: number[] = []; // exact, over the last tenth of the steps
    const lastTenth = Math.max(1, Math.round(steps / 10));
    let reported = 0;
    const report = () => {
      onProgress?.({ variant: variant.name, step: trainer.step, steps, losses: losses.slice(reported) });
      reported = losses.length;
    };
    const started = Date.now();
    await runTraining(trainer, {
      onStep: ({ loss, step }) => {
        losses.push(Number(loss.toPrecision(4)));
        if (step > steps - lastTenth) lastLosses.push(loss);
        if (step % PROGRESS_EVERY === 0 || step === steps) report();
      },
    });
    const seconds = (Date.now() - started) / 1000;
    return {
      variant,
      config: model.config,
      parameters: model.numParameters(),
      steps: trainer.step,
      seconds,
      losses,
      finalLoss: mean(lastLosses), // as `npm run train -- --eval-every <steps / 10>` reports it at the end
      lossCurve: lossCurveOf(losses),
      heldOut: evaluateUnpadded(model, test),
      weights: storedWeights(model),
    };
  } finally {
    trainer.dispose();
  }
}

/** What runLadder sends a ladder thread (lib/ladder-thread.ts), and what it answers. */
export interface LadderJob {
  variant: Variant;
  settings: LadderSettings;
}
export type LadderReply =
  | { type: "ready" }
  | { type: "progress"; progress: Progress }
  | { type: "result"; result: VariantResult }
  | { type: "error"; message: string };

/** Worker threads, each with its own tfjs backend, that train one variant at a time (lib/ladder-thread.ts). */
export class LadderThreads {
  private readonly idle: Worker[];

  private constructor(private readonly threads: Worker[]) {
    this.idle = threads.slice();
  }

  /** Starts `count` threads on this thread's tfjs backend and waits until each is ready. */
  static async start(count: number): Promise<LadderThreads> {
    const backend = tf.getBackend() as BackendName;
    const threads = Array.from({ length: count }, () => startThread("ladder-thread.ts", { backend }));
    const ready = (thread: Worker, i: number) => new Promise<void>((resolve, reject) => {
      thread.once("message", (reply: LadderReply) =>
        reply.type === "ready" ? resolve() : reject(new Error(`Ladder thread ${i + 1} did not start: ${reply.type === "error" ? reply.message : reply.type}`)));
      thread.once("error", (error) => reject(new Error(`Ladder thread ${i + 1} did not start: ${error.message}`)));
    });
    try {
      await Promise.all(threads.map(ready));
    } catch (error) {
      await Promise.all(threads.map((thread) => thread.terminate()));
      throw error;
    }
    return new LadderThreads(threads);
  }

  /** Trains the variant on an idle thread; call it at most as often at once as there are threads. */
  readonly runVariant: VariantRunner = (variant, settings, onProgress) => {
    const thread = this.idle.pop();
    if (!thread) return Promise.reject(new Error(`All ${this.threads.length} ladder threads are busy; run at most that many variants at once.`));
    return new Promise((resolve, reject) => {
      const settle = (outcome: { result: VariantResult } | { error: Error; threadUsable: boolean }) => {
        thread.off("message", onMessage);
        thread.off("error", onError);
        thread.off("exit", onExit);
        if ("result" in outcome || outcome.threadUsable) this.idle.push(thread);
        if ("result" in outcome) resolve(outcome.result);
        else reject(outcome.error);
      };
      const onMessage = (reply: LadderReply) => {
        if (reply.type === "progress") onProgress?.(reply.progress);
        else if (reply.type === "result") settle({ result: reply.result });
        else if (reply.type === "error") settle({ error: new Error(`Variant "${variant.name}" failed on its thread: ${reply.message}`), threadUsable: true });
      };
      const onError = (error: Error) => settle({ error: new Error(`Variant "${variant.name}": its thread threw ${error.message}`), threadUsable: false });
      const onExit = (code: number) => settle({ error: new Error(`Variant "${variant.name}": its thread stopped (exit code ${code}) before the variant was trained.`), threadUsable: false });
      thread.on("message", onMessage);
      thread.on("error", onError);
      thread.on("exit", onExit);
      thread.postMessage({ variant, settings } satisfies LadderJob);
    });
  };

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.terminate()));
  }
}

export interface LadderOptions {
  threads?: number; // worker threads, each training one variant at a time; 0 (the default): one after another in this thread
  parallel?: number; // with runVariant: variants run at the same time (default 1)
  runVariant?: VariantRunner; // where a variant trains (default: trainVariant, in this thread)
  onProgress?: (progress: Progress) => void;
  onResult?: (result: VariantResult) => void; // as each variant finishes
}

/**
 * Trains every variant and returns the results in the order given. With `threads` (or a runner
 * and `parallel`) that many run at once, the longest first.
 */
export async function runLadder(variants: readonly Variant[], settings: LadderSettings, options: LadderOptions = {}): Promise<VariantResult[]> {
  checkSettings(settings);
  checkVariants(variants);
  const { threads = 0 } = options;
  if (!Number.isInteger(threads) || threads < 0) throw new Error(`threads must be a whole number >= 0 (0 trains in this thread), got ${threads}.`);
  if (threads === 0) return runQueue(variants, settings, options.parallel ?? 1, options.runVariant ?? trainVariant, options);
  const pool = await LadderThreads.start(Math.min(threads, variants.length));
  try {
    return await runQueue(variants, settings, Math.min(threads, variants.length), pool.runVariant, options);
  } finally {
    await pool.close();
  }
}

async function runQueue(variants: readonly Variant[], settings: LadderSettings, parallel: number, runVariant: VariantRunner, options: LadderOptions): Promise<VariantResult[]> {
  if (!Number.isInteger(parallel) || parallel < 1) throw new Error(`parallel must be a whole number >= 1, got ${parallel}.`);
  const cost = (v: Variant) => trainingCost(v, settings);
  const queue = variants.map((_, i) => i).sort((i, j) => cost(variants[j]) - cost(variants[i])); // longest first
  const results = new Array<VariantResult>(variants.length);
  const lane = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      results[next] = await runVariant(variants[next], settings, options.onProgress);
      options.onResult?.(results[next]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, variants.length) }, lane));
  return results;
}

// ---------------------------------------------------------------- what the results show

const percent = (x: number | undefined) => (x === undefined ? "-" : `${(100 * x).toFixed(1)}%`);

export const LADDER_TABLE_HEADERS = ["variant", "what changes", "parameters", "steps", "final training loss", "held-out exact match", ...OPERATIONS];

/** One row per variant for showTable(LADDER_TABLE_HEADERS, rows). */
export function ladderTableRows(results: readonly LadderOutcome[]): string[][] {
  return results.map((r) => [
    r.variant.name,
    r.variant.change,
    r.parameters.toLocaleString("en-US"),
    r.steps.toLocaleString("en-US"),
    r.finalLoss.toFixed(3),
    percent(r.heldOut.accuracy),
    ...OPERATIONS.map((op) => percent(r.heldOut.perOp[op])),
  ]);
}

/** Held-out exact match, one row per variant (top-down in ladder order), one column per operation and overall. */
export function ladderFigure(results: readonly LadderOutcome[], title = "Held-out exact match"): Figure {
  const columns = [...OPERATIONS, "all"];
  const matrix = results.map((r) => [...OPERATIONS.map((op) => r.heldOut.perOp[op] ?? NaN), r.heldOut.accuracy]);
  const fig = matrixHeatmap(matrix, results.map((r) => r.variant.name), columns, {
    title, rowTitle: "variant", colTitle: "held-out problems", valueName: "exact match", zmin: 0, zmax: 1, showValues: true,
  });
  const coloraxis = fig.layout.coloraxis!;
  return { ...fig, layout: { ...fig.layout, coloraxis: { ...coloraxis, colorbar: { ...coloraxis.colorbar, title: { text: "1 = all right" } } } } };
}

/** Each variant's training-loss curve (block means of steps, see lossCurveOf). */
export function lossCurvesFigure(curves: { name: string; curve: LossCurve }[]): Figure {
  const series = curves.map(({ name, curve }) => ({
    name, x: curve.means.map((_, i) => (i + 1) * curve.every), y: curve.means, // each block at its last step
  }));
  return lineChart(series, {
    title: `Training loss (mean over blocks of steps)`, xTitle: "step", yTitle: "masked cross-entropy (log scale)", logY: true,
  });
}

/**
 * How much the positions that predict an answer token attend to that very token, the one they
 * must predict: mean attention weight per layer and head, [layer][head], over the problems'
 * answer tokens after the first (the targets that are also inputs). 0 under the causal mask.
 */
export function attentionOnTarget(model: Transformer, problems: readonly Problem[]): number[][] {
  const batch = makeBatch(problems);
  const weights = tf.tidy(() => model.forward(batch.inputs).attention.map((a) => a.arraySync() as number[][][][])); // per layer [B, H, T, T]
  const T = batch.inputs[0].length;
  return weights.map((layer) => Array.from({ length: model.config.numHeads }, (_, h) => {
    const picked: number[] = [];
    batch.lossMask.forEach((row, b) => {
      for (let t = 0; t + 1 < T; t++) {
        // position t predicts targets[b][t]: an answer word is also input t + 1; [END] is no input
        if (row[t] === 1 && batch.targets[b][t] !== END_ID) picked.push(layer[b][h][t][t + 1]);
      }
    });
    return mean(picked);
  }));
}

/**
 * Share of answer tokens and [END] predicted right when the whole sequence is the input (as in
 * training): with the answer in view a model without the mask can copy it, so this stays high
 * even when its greedy answers, produced one token at a time, are wrong.
 */
export function nextTokenAccuracy(model: Transformer, problems: readonly Problem[]): number {
  const batch = makeBatch(problems);
  const predicted = tf.tidy(() => model.forward(batch.inputs).logits.argMax(-1).arraySync() as number[][]); // [B, T]
  let right = 0;
  let counted = 0;
  batch.lossMask.forEach((row, b) => row.forEach((m, t) => {
    if (m !== 1) return;
    counted += 1;
    if (predicted[b][t] === batch.targets[b][t]) right += 1;
  }));
  return right / counted;
}
