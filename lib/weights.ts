// Creating weights. tf.variable keeps its initial tensor alive unless it is made inside
// tf.tidy, so every weight is created here, where that is done once and right.
import * as tf from "@tensorflow/tfjs";
import { Rng, normalArray } from "./random";

/**
 * How weight matrices start. "fan-in": spread 1/√fanIn for a matrix that sums `fanIn` inputs, so a
 * fresh layer's outputs are about as large as its inputs whatever the width (lib's default).
 * "gpt-2": spread 0.02 at every width, as GPT-2 starts (notebook 7 trains both).
 */
export type InitScheme = "fan-in" | "gpt-2";
export const INIT_SCHEMES: readonly InitScheme[] = ["fan-in", "gpt-2"];

/** The starting spread of a weight matrix that sums `fanIn` inputs. */
export function initialStd(fanIn: number, scheme: InitScheme = "fan-in"): number {
  return scheme === "gpt-2" ? 0.02 : 1 / Math.sqrt(fanIn);
}

/** A [rows, cols] weight drawn from N(0, std^2) with the seeded generator. */
export function normalWeight(rows: number, cols: number, std: number, rng: Rng): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor2d(normalArray(rows * cols, std, rng), [rows, cols])));
}

/** A weight (or optimizer state, with trainable false) of the given shape, every entry `value`. */
export function filledWeight(shape: number[], value: number, trainable = true): tf.Variable {
  return tf.tidy(() => tf.variable(tf.fill(shape, value), trainable));
}
