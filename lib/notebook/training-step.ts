// Notebook 6's check of a training step written by the learner: one step of it and one step of
// lib's Trainer, from the same initial weights and the same batch, must give the same loss and
// leave the same weights, up to float32 rounding.
import * as tf from "@tensorflow/tfjs";
import { Batch, Problem } from "../data";
import { ModelConfig, Transformer } from "../model";
import { Adam } from "../optimizer";
import { wrapText } from "./takeaway";
import { Trainer } from "../train";

/** One training step: the loss on `batch` and its gradients, then one Adam update of `model`; returns the loss. */
export type TrainingStep = (model: Transformer, adam: Adam, batch: Batch, learningRate: number) => number;

/**
 * Weights closer than this count as the same. float32 keeps 24 significant bits: a weight near 0.5
 * is stored to about 3e-8, and the first Adam step moves every weight by about the learning rate (3e-5).
 */
export const SAME_WEIGHTS = 1e-6;
const SAME_LOSS = 1e-4; // relative

export interface StepComparison {
  myLoss: number;
  libLoss: number;
  moved: number; // the largest change lib's step made to a weight
  difference: number; // the largest difference between a weight after your step and after lib's
}

const flat = (model: Transformer) => Object.values(model.namedWeights()).map((w) => new Float32Array(w.dataSync()));

/** The largest |a - b| over every weight; NaN if any weight is NaN. */
function largestDifference(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((values, i) => values.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[i][j])))));
  return worst;
}

/** One step of `step` and one of lib's Trainer (its recipe and sharding), from the same initial weights and first batch. */
export function compareOneStep(step: TrainingStep, model: Partial<ModelConfig>, train: readonly Problem[], seed: number): StepComparison {
  const reference = new Trainer(new Transformer(model), train, { seed });
  const mine = new Transformer(model);
  try {
    const start = flat(reference.model);
    const batch = reference.sampler.batchAt(0);
    const adam = new Adam(mine.namedWeights(), { weightDecay: reference.config.weightDecay });
    let myLoss = NaN;
    tf.tidy(() => {
      myLoss = step(mine, adam, batch, reference.learningRate());
    });
    const libLoss = reference.trainStep().loss;
    const after = flat(reference.model);
    return { myLoss, libLoss, moved: largestDifference(after, start), difference: largestDifference(flat(mine), after) };
  } finally {
    reference.dispose();
    mine.dispose();
  }
}

/** Prints PASS or NOT YET (with a hint) for a learner's training step; returns whether it passed. Never throws. */
export function checkTrainingStep(step: TrainingStep, model: Partial<ModelConfig>, train: readonly Problem[], seed: number, hint: string): boolean {
  let c: StepComparison;
  try {
    c = compareOneStep(step, model, train, seed);
  } catch (e) {
    console.log(`NOT YET (training step): your code threw: ${(e as Error).message}\nHint: ${hint}`);
    return false;
  }
  const sameLoss = Math.abs(c.myLoss - c.libLoss) <= SAME_LOSS * Math.abs(c.libLoss);
  const passed = sameLoss && c.difference <= SAME_WEIGHTS;
  const e = (x: number) => x.toExponential(1);
  console.log([
    `${passed ? "PASS" : "NOT YET"} (training step): one step of yours and one of lib's Trainer, from the same weights and batch:`,
    `  losses ${c.myLoss.toFixed(5)} (yours) and ${c.libLoss.toFixed(5)} (lib's)${sameLoss ? "" : ": they differ"};`,
    `  lib's step moved weights by up to ${e(c.moved)};`,
    `  after the two steps the weights differ by at most ${e(c.difference)} (allowed: ${e(SAME_WEIGHTS)}).`,
    ...(passed ? [] : [wrapText(`Hint: ${hint}`)]),
  ].join("\n"));
  return passed;
}
