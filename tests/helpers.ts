// Shared by the unit tests: backend set-up, closeness checks, tensor counting and plain-JS
// (float64) reference versions of the layers, written independently of lib/.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, expect } from "vitest";
import { initBackend } from "../lib/fast/backend";
import { Rng, makeRng } from "../lib/random";

/** Starts the tfjs backend (wasm, or $TFJS_BACKEND) once before the tests of the file. */
export function useBackend(): void {
  beforeAll(async () => {
    await initBackend();
  });
}

/** Largest |actual - expected| / (|expected| + 1) must stay within `tolerance`; reports the worst index. */
export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  expect(actual.length, "number of values").toBe(expected.length);
  let worst = 0;
  let worstIndex = -1;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i]) / (Math.abs(expected[i]) + 1);
    if (!(error <= worst)) [worst, worstIndex] = [error, i]; // NaN counts as the worst
  }
  const where = worstIndex < 0 ? "" : ` at index ${worstIndex}: got ${actual[worstIndex]}, expected ${expected[worstIndex]}`;
  expect(worst <= tolerance, `relative error ${worst} > ${tolerance}${where}`).toBe(true);
}

/** Largest absolute difference between two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** How many more tensors tfjs holds after `fn` than before it. */
export function tensorsLeftBy(fn: () => void): number {
  const before = tf.memory().numTensors;
  fn();
  return tf.memory().numTensors - before;
}

/** The values of a tensor as a plain array, and the tensor disposed. */
export function take(t: tf.Tensor): number[] {
  const values = Array.from(t.dataSync());
  t.dispose();
  return values;
}

// ---- plain-JS references, float64 --------------------------------------------------------

export type Matrix = number[][];

export function randomMatrix(rows: number, cols: number, rng: Rng, scale = 1): Matrix {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal() * scale));
}

export function randomMatrices(count: number, rows: number, cols: number, seed: number): Matrix[] {
  const rng = makeRng(seed);
  return Array.from({ length: count }, () => randomMatrix(rows, cols, rng));
}

export function matmul(a: Matrix, b: Matrix): Matrix {
  return a.map((row) => b[0].map((_, j) => row.reduce((sum, x, k) => sum + x * b[k][j], 0)));
}

export function transpose(a: Matrix): Matrix {
  return a[0].map((_, j) => a.map((row) => row[j]));
}

export function softmax(row: number[]): number[] {
  const max = Math.max(...row);
  const exps = row.map((x) => Math.exp(x - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

/** softmax(q k^T / sqrt(dk)) v for one sequence; with `causal`, query t sees keys 0..t only. */
export function referenceAttention(q: Matrix, k: Matrix, v: Matrix, causal = false): { output: Matrix; weights: Matrix } {
  const scale = Math.sqrt(q[0].length);
  const weights = q.map((qRow, t) => {
    const allowed = k.map((_, s) => !causal || s <= t);
    const scores = k.map((kRow) => qRow.reduce((sum, x, i) => sum + x * kRow[i], 0) / scale);
    const kept = softmax(scores.filter((_, s) => allowed[s]));
    let next = 0;
    return allowed.map((ok) => (ok ? kept[next++] : 0));
  });
  return { output: matmul(weights, v), weights };
}

/** Columns from..to-1 of every row. */
export function columns(a: Matrix, from: number, to: number): Matrix {
  return a.map((row) => row.slice(from, to));
}

export function addRow(a: Matrix, bias: number[]): Matrix {
  return a.map((row) => row.map((x, j) => x + bias[j]));
}

/** Every row to mean 0 and variance 1 (biased variance, as in LayerNorm), then times gain plus bias. */
export function referenceLayerNorm(a: Matrix, gain: number[], bias: number[], epsilon = 1e-5): Matrix {
  return a.map((row) => {
    const mean = row.reduce((s, x) => s + x, 0) / row.length;
    const variance = row.reduce((s, x) => s + (x - mean) ** 2, 0) / row.length;
    return row.map((x, j) => ((x - mean) / Math.sqrt(variance + epsilon)) * gain[j] + bias[j]);
  });
}

export function flat(a: Matrix[] | Matrix): number[] {
  return (a as unknown[]).flat(2) as number[];
}
