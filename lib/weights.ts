// Creating weights. tf.variable keeps its initial tensor alive unless it is made inside
// tf.tidy, so every weight is created here, where that is done once and right.
import * as tf from "@tensorflow/tfjs";
import { Rng, normalArray } from "./random";

/**
 * The starting spread of a weight matrix that sums `fanIn` inputs: 1/√fanIn, so a fresh layer's
 * outputs are about as large as its inputs whatever the width. GPT-2's fixed 0.02 suits its width
 * of 768; docs/maintainers.md ("The initial weights") measures what it costs at width 64.
 */
export function initialStd(fanIn: number): number {
  return 1 / Math.sqrt(fanIn);
}

/** A [rows, cols] weight drawn from N(0, std^2) with the seeded generator. */
export function normalWeight(rows: number, cols: number, std: number, rng: Rng): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor2d(normalArray(rows * cols, std, rng), [rows, cols])));
}

/** A weight (or optimizer state, with trainable false) of the given shape, every entry `value`. */
export function filledWeight(shape: number[], value: number, trainable = true): tf.Variable {
  return tf.tidy(() => tf.variable(tf.fill(shape, value), trainable));
}
