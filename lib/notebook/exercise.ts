// Checks for the notebooks. checkExercise runs the learner's code, compares it with the reference
// and prints a clear pass or "not yet" with a hint; it never throws, so the notebook runs on.
// checkClose compares a from-scratch tensor with lib's and stops the notebook if they disagree.
import * as tf from "@tensorflow/tfjs";

type Value = number | boolean | string | tf.Tensor | Value[];

function toPlain(value: Value): unknown {
  if (value instanceof tf.Tensor) return value.arraySync();
  if (Array.isArray(value)) return value.map(toPlain);
  return value;
}

/** Where a and b first differ (beyond `tolerance` for numbers), or undefined when they match. */
export function firstDifference(a: unknown, b: unknown, tolerance = 1e-4, path = ""): string | undefined {
  if (typeof a === "number" && typeof b === "number") {
    return Math.abs(a - b) <= tolerance * Math.max(1, Math.abs(b)) ? undefined : `at ${path || "the value"}: got ${a}, expected ${b}`;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `at ${path || "the top level"}: got ${a.length} entries, expected ${b.length}`;
    for (let i = 0; i < a.length; i++) {
      const difference = firstDifference(a[i], b[i], tolerance, `${path}[${i}]`);
      if (difference) return difference;
    }
    return undefined;
  }
  return a === b ? undefined : `at ${path || "the value"}: got ${JSON.stringify(a)}, expected ${JSON.stringify(b)}`;
}

/** Prints "PASS" or "NOT YET" with the first difference and a hint; returns whether it passed. */
export function checkExercise(name: string, attempt: () => Value, expected: Value, hint: string): boolean {
  let difference: string | undefined;
  try {
    difference = tf.tidy(() => firstDifference(toPlain(attempt()), toPlain(expected)));
  } catch (e) {
    difference = `your code threw: ${(e as Error).message}`;
  }
  console.log(difference ? `NOT YET (${name}): ${difference}.\nHint: ${hint}` : `PASS (${name}): your answer matches.`);
  return difference === undefined;
}

/** Prints the largest difference between two tensors; throws if the shapes differ or a value is off by more than `tolerance`. */
export function checkClose(what: string, ours: tf.Tensor, expected: tf.Tensor, tolerance = 1e-5): void {
  if (ours.shape.join() !== expected.shape.join()) throw new Error(`${what}: shape [${ours.shape}], expected [${expected.shape}].`);
  const difference = tf.tidy(() => ours.sub(expected).abs().max().dataSync()[0]);
  if (!(difference <= tolerance)) throw new Error(`${what}: off by ${difference}, more than ${tolerance}.`);
  console.log(`${what}: matches (largest difference ${difference.toExponential(1)})`);
}
