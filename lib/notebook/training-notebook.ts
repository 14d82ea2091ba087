// Notebook 6 imports its helpers from here in one line (as `nb`), so that its first cell shows only
// the parts a learner builds with (data, model, optimizer, trainer): the settings check, tables and
// figures, the exercise and takeaway checks, live training and the analysis after training.
import { SHIPPED, readShippedMetadata, shippedModel } from "../ladder/results";
import type { ShippedMetadata } from "../ladder/results";
import { DEFAULT_TRAIN_CONFIG } from "../train";
import { defaultWorkerCount } from "../training/shards";
import type { ModelConfig } from "../model";
import { checkSeconds, checkShippedKnobs, modelFromKnobs } from "./settings";
import { underTrainedWarning as progressWarning } from "./progress";

export * from "./helpers"; // tables, figures, the exercise and takeaway checks, remake
export { checkTrainingStep } from "./training-step";
export { lossLog, shippedRun, trainLive } from "./live-training";
export { USEFUL_ACCURACY, answerChanges } from "./progress";
export type { AnswersAt } from "./progress";
export { factGroups, labelledGroups } from "../analysis/memorising";
export { attentionOnProblem, halfwayStep, jobsByOperation, readersPerProblem, roleWeights, routingSeries, routingSnapshot, specialists, typicalProblem, weightOnRole } from "../analysis/inspect";
export type { RoutingSnapshot } from "../analysis/inspect";
export { loadCheckpoint, saveCheckpoint } from "../training/checkpoint";

/** The settings cell's knobs. */
export interface TrainingSettings {
  USE_SHIPPED_MODEL: boolean;
  TIME_BUDGET_SECONDS: number;
  SEED: number;
  NUM_HEADS: number;
  NUM_LAYERS: number;
  D_MODEL: number;
  LOOP_STEPS: number;
}

/** A knob's name, checked against the settings cell's knobs. */
const knob = (name: keyof TrainingSettings) => name;

/** The under-trained warning (lib/notebook/progress), naming this notebook's settings. */
export function underTrainedWarning(heldOutAccuracy: number, step: number, shipped: { steps: number; heldOutAccuracy: number }): string[] | undefined {
  return progressWarning(heldOutAccuracy, step, { ...shipped, useShippedKnob: knob("USE_SHIPPED_MODEL"), budgetKnob: knob("TIME_BUDGET_SECONDS") });
}

/** The fewest steps of the learner's loop in which its loss visibly falls. */
export const MIN_LOOP_STEPS = 100;

/**
 * Checks every knob of the settings cell (an error names the knob and what to use), prints what
 * this run will do, and returns the model's size and seed as Transformer overrides.
 */
export function checkSettings(s: TrainingSettings): Partial<ModelConfig> {
  const knobs = { NUM_HEADS: s.NUM_HEADS, NUM_LAYERS: s.NUM_LAYERS, D_MODEL: s.D_MODEL, SEED: s.SEED };
  const model = modelFromKnobs(knobs);
  checkSeconds("TIME_BUDGET_SECONDS", s.TIME_BUDGET_SECONDS);
  if (!(Number.isInteger(s.LOOP_STEPS) && s.LOOP_STEPS >= MIN_LOOP_STEPS)) {
    throw new Error(`LOOP_STEPS must be a whole number of at least ${MIN_LOOP_STEPS} (for example 300), got ${s.LOOP_STEPS}: fewer steps are too few to see the loss fall. Change it in the settings cell.`);
  }
  if (s.USE_SHIPPED_MODEL) checkShippedKnobs(knobs, readShippedMetadata(shippedModel("course")).config, knob("USE_SHIPPED_MODEL"));
  console.log(`seed ${s.SEED}; ${s.NUM_LAYERS} layer(s) of ${s.NUM_HEADS} head(s), width ${s.D_MODEL}; ` +
    (s.USE_SHIPPED_MODEL ? "the shipped course model, no training here" : `${s.TIME_BUDGET_SECONDS} s of training`));
  return model;
}

/** Worker threads for the trainer: one per core (at most one per shard of the recipe), none when nothing is trained here. */
export function workersFor(useShippedModel: boolean): number {
  return useShippedModel ? 0 : defaultWorkerCount(DEFAULT_TRAIN_CONFIG.shards);
}

/** The course recipe's shipped models (seed 0), shortest schedule first. */
export function courseSchedules(): ShippedMetadata[] {
  return SHIPPED.filter((m) => m.variant === "course" && m.seed === 0).map(readShippedMetadata).sort((a, b) => a.steps - b.steps);
}
