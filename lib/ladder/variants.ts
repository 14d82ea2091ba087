// The ladder: variants of the course model trained on the same task, budget and seed, so that each
// part of the transformer shows what it buys: attention, the causal mask, heads, layers, residual
// connections and where the norm sits. This file holds what a variant is and what its run leaves;
// train-variant.ts trains one, run-ladder.ts trains many on worker threads, readings.ts reads them.
import { Operation, Problem, allProblems, splitProblems } from "../data";
import { Evaluation } from "../generate";
import { ModelConfig, Transformer, makeConfig } from "../model";
import { DEFAULT_TRAIN_CONFIG, TrainConfig } from "../train";
import { StoredTensor } from "../training/safetensors";

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

/** What a trained variant left, trained here or loaded from the shipped results (lib/ladder/results.ts). */
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

export function checkVariants(variants: readonly Variant[]): void {
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

export const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** What a ladder worker thread (lib/workers/ladder-worker.ts) is sent, and what it answers. */
export interface LadderJob {
  variant: Variant;
  settings: LadderSettings;
}
export type LadderReply =
  | { type: "ready" }
  | { type: "progress"; progress: Progress }
  | { type: "result"; result: VariantResult }
  | { type: "error"; message: string };

