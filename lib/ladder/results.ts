// The trained models that ship with the course (results/): the course model and every rung of
// notebook 7's ladder, trained with the full recipe on seeds 0, 1 and 2 by `npm run results`, each
// saved as .safetensors: the weights, and in the metadata the model config, the recipe and the final
// evaluation. `npm run results -- --check NAME` proves any of them bitwise.
import * as fs from "fs";
import * as path from "path";
import { Operation, Problem } from "../data";
import { LadderOutcome, LossCurve, VARIANTS, Variant, trainingCost } from "./variants";
import { factGroups } from "../analysis/memorising";
import { ModelConfig, Transformer } from "../model";
import { StoredTensor, readSafetensors } from "../training/safetensors";
import { assignWeights } from "../training/checkpoint";

/** results/ at the project's top level (lib may be reached through notebooks/lib, a symlink); tests point it elsewhere. */
export const RESULTS_DIR = process.env.ATTENTION_WORKSHOP_RESULTS ?? path.resolve(fs.realpathSync(__dirname), "..", "..", "results");
/** The full recipe's schedule; a variant's stepsFactor multiplies it. */
export const FULL_STEPS = 5000;
export const SEEDS = [0, 1, 2] as const;
/** Shorter schedules of the course model on seed 0: what a schedule of N steps reaches. */
export const SHORT_SCHEDULES = [1000, 2000] as const;

export type VariantKey = keyof typeof VARIANTS;

export interface ShippedModel {
  name: string; // "course", "no-mask-seed1", "course-1000-steps"
  variant: VariantKey;
  seed: number;
  steps: number; // the ladder's steps setting (the variant's stepsFactor applies on top)
}

/** File names of the ladder's rungs. */
const SLUGS: Record<VariantKey, string> = {
  course: "course", noAttention: "no-attention", noMask: "no-mask", oneHead: "one-head", oneLayer: "one-layer",
  oneLayerLonger: "one-layer-2x-steps", noResidual: "no-residual", postNorm: "post-norm", d16FourHeads: "d16-four-heads",
  d16OneHead: "d16-one-head", gpt2Start: "gpt2-start",
};

function shipped(variant: VariantKey, seed: number, steps = FULL_STEPS): ShippedModel {
  const name = `${SLUGS[variant]}${steps === FULL_STEPS ? "" : `-${steps}-steps`}${seed === 0 ? "" : `-seed${seed}`}`;
  return { name, variant, seed, steps };
}

/** Every shipped model: seed 0's ladder and short schedules, then seeds 1 and 2. */
export const SHIPPED: readonly ShippedModel[] = SEEDS.flatMap((seed) => [
  ...(Object.keys(VARIANTS) as VariantKey[]).map((key) => shipped(key, seed)),
  ...(seed === 0 ? SHORT_SCHEDULES.map((steps) => shipped("course", 0, steps)) : []),
]);

export function variantOf(m: ShippedModel): Variant {
  return VARIANTS[m.variant];
}

/** About proportional to the time it takes to re-create. */
export function costOf(m: ShippedModel): number {
  return trainingCost(variantOf(m), { steps: m.steps, seed: m.seed });
}

export function shippedModel(name: string): ShippedModel {
  const found = SHIPPED.find((m) => m.name === name);
  if (!found) throw new Error(`No shipped model is called "${name}"; \`npm run results -- --list\` names them (for example "${SHIPPED[0].name}").`);
  return found;
}

export function shippedFile(m: ShippedModel): string {
  return path.join(RESULTS_DIR, `${m.name}.safetensors`);
}

/** How many held-out (or training) problems of a group the model answers right, of how many. */
export interface Count {
  right: number;
  of: number;
}

/** Memorising or generalising: the fact groups of lib/analysis/memorising for times and divided by. */
export interface FactCounts {
  rules: Count;
  mirrorSeen: Count;
  mirrorUnseen: Count;
  trainingFacts: Count;
}

/** What a shipped model's metadata holds besides its weights. */
export interface ShippedMetadata {
  name: string;
  variant: Variant;
  seed: number;
  steps: number; // steps trained
  config: ModelConfig;
  recipe: Record<string, unknown>; // the TrainConfig it was trained with
  parameters: number;
  finalLoss: number; // mean training loss over the last tenth of the steps
  lossCurve: LossCurve; // training loss averaged over blocks of steps
  heldOut: { accuracy: number; perOp: Partial<Record<Operation, number>>; right: number; of: number };
  facts: Record<"times" | "divided", FactCounts>;
}

/** The fact groups' counts, given how many of some problems (all of one operation) the model answers right. */
export function factCounts(train: readonly Problem[], test: readonly Problem[], rightOf: (problems: readonly Problem[]) => number): Record<"times" | "divided", FactCounts> {
  const count = (ps: readonly Problem[]): Count => ({ right: ps.length ? rightOf(ps) : 0, of: ps.length });
  const groupsOf = (op: "times" | "divided"): FactCounts => {
    const g = factGroups(train, test, op);
    return { rules: count(g.rules), mirrorSeen: count(g.mirrorSeen), mirrorUnseen: count(g.mirrorUnseen), trainingFacts: count(g.trainingFacts) };
  };
  return { times: groupsOf("times"), divided: groupsOf("divided") };
}

/** The metadata of a shipped model, read from its file; names the file when it is missing or cut. */
export function readShippedMetadata(m: ShippedModel): ShippedMetadata {
  const file = shippedFile(m);
  if (!fs.existsSync(file)) throw new Error(`The shipped model "${m.name}" is missing: no file at ${file}. \`npm run results\` re-creates it.`);
  try {
    return JSON.parse(readSafetensors(file).metadata.shipped) as ShippedMetadata;
  } catch (e) {
    throw new Error(`The shipped model "${m.name}" (${file}) cannot be read: ${(e as Error).message}`);
  }
}

/** The shipped model of `variant` trained on `seed` with the full recipe. */
export function shippedRung(variant: VariantKey, seed: number): ShippedModel {
  return SHIPPED.find((m) => m.variant === variant && m.seed === seed && m.steps === FULL_STEPS)!;
}

/** Every rung of the ladder as shipped for seed 0, fully trained, with its weights (for modelOf()). */
export function shippedLadder(): LadderOutcome[] {
  return (Object.keys(VARIANTS) as VariantKey[]).map((key) => {
    const m = shippedRung(key, 0);
    return { ...readShippedMetadata(m), weights: shippedWeights(m) };
  });
}

/** One fully trained run of a rung: its held-out exact match (overall and per operation) and final training loss. */
export interface SeedRun {
  seed: number;
  accuracy: number;
  perOp: Partial<Record<Operation, number>>;
  finalLoss: number;
}

/** Every rung of the ladder with its fully trained run on each seed, in SEEDS order. */
export function ladderOverSeeds(): { key: VariantKey; variant: Variant; runs: SeedRun[] }[] {
  return (Object.keys(VARIANTS) as VariantKey[]).map((key) => ({
    key,
    variant: VARIANTS[key],
    runs: SEEDS.map((seed) => {
      const { heldOut, finalLoss } = readShippedMetadata(shippedRung(key, seed));
      return { seed, accuracy: heldOut.accuracy, perOp: heldOut.perOp, finalLoss };
    }),
  }));
}

/** The weights of a shipped model, as stored (names a missing or unreadable file). */
export function shippedWeights(m: ShippedModel): Record<string, StoredTensor> {
  readShippedMetadata(m);
  return readSafetensors(shippedFile(m)).tensors;
}

/**
 * The trained model shipped under `name` (default: the course model, seed 0), ready to use.
 * Dispose it when done, or make it inside remake().
 */
export function loadShipped(name = "course"): { model: Transformer; metadata: ShippedMetadata } {
  const m = shippedModel(name);
  const metadata = readShippedMetadata(m);
  const model = new Transformer(metadata.config);
  try {
    assignWeights(shippedFile(m), model.namedWeights(), shippedWeights(m));
  } catch (e) {
    model.dispose();
    throw e;
  }
  return { model, metadata };
}
