import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { causalMask, scaledDotProductAttention } from "../lib/attention";
import { MultiHeadAttention, checkHeads, mergeHeads, splitHeads } from "../lib/multihead";
import { makeRng } from "../lib/random";
import {
  Matrix, addRow, columns, expectAllClose, flat, matmul, randomMatrices, referenceAttention, take, useBackend,
} from "./helpers";

useBackend();

/** A layer with random (not tiny) weights, so that every part of it matters in the comparison. */
function layer(dModel: number, numHeads: number, seed: number): MultiHeadAttention {
  const mha = new MultiHeadAttention({ dModel, numHeads }, makeRng(seed));
  const rng = makeRng(seed + 1000);
  for (const w of Object.values(mha.namedWeights())) {
    tf.tidy(() => w.assign(tf.randomNormal(w.shape, 0, 0.5, "float32", rng.int(1e9))));
  }
  return mha;
}

const matrixOf = (w: tf.Variable) => w.arraySync() as Matrix;

describe("splitHeads and mergeHeads", () => {
  // x[b][t][d] = 100 b + 10 t + d: every value says where it came from.
  const B = 2, T = 3, D = 6, H = 3, Dh = 2;
  const values = Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => Array.from({ length: D }, (_, d) => 100 * b + 10 * t + d)));

  it("gives head h the columns h*Dh .. (h+1)*Dh - 1 of every token", () => {
    const x = tf.tensor3d(values);
    const heads = splitHeads(x, H);
    expect(heads.shape).toEqual([B, H, T, Dh]);
    const split = heads.arraySync() as number[][][][];
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        for (let t = 0; t < T; t++) expect(split[b][h][t]).toEqual([100 * b + 10 * t + h * Dh, 100 * b + 10 * t + h * Dh + 1]);
      }
    }
    tf.dispose([x, heads]);
  });

  it("round-trips: mergeHeads(splitHeads(x)) is x", () => {
    const x = tf.tensor3d(values);
    const heads = splitHeads(x, H);
    const merged = mergeHeads(heads);
    expect(merged.shape).toEqual([B, T, D]);
    expect(merged.arraySync()).toEqual(values);
    tf.dispose([x, heads, merged]);
  });
});

describe("MultiHeadAttention", () => {
  it("gives output [B, T, D] and weights [B, H, T, T], and weights of the stated shapes", () => {
    const mha = new MultiHeadAttention({ dModel: 8, numHeads: 4 }, makeRng(0));
    const shapes = tf.tidy(() => {
      const { output, weights } = mha.apply(tf.ones([3, 5, 8]));
      return [output.shape, weights.shape];
    });
    expect(shapes).toEqual([[3, 5, 8], [3, 4, 5, 5]]);
    const named = mha.namedWeights();
    expect(Object.keys(named)).toEqual(["wq", "wk", "wv", "wo", "bo"]);
    expect(Object.values(named).map((w) => w.shape)).toEqual([[8, 8], [8, 8], [8, 8], [8, 8], [8]]);
  });

  it("with one head equals single-head attention on q = x wq, k = x wk, v = x wv, then wo", () => {
    const T = 4, D = 6;
    const mha = layer(D, 1, 1);
    const [x] = randomMatrices(1, T, D, 11);
    for (const causal of [false, true]) {
      const q = matmul(x, matrixOf(mha.wq));
      const k = matmul(x, matrixOf(mha.wk));
      const v = matmul(x, matrixOf(mha.wv));
      const mask = causal ? causalMask(T) : undefined;
      const single = scaledDotProductAttention(tf.tensor2d(q), tf.tensor2d(k), tf.tensor2d(v), mask);
      const singleOutput = single.output.arraySync() as Matrix;
      const expected = addRow(matmul(singleOutput, matrixOf(mha.wo)), mha.bo.arraySync() as number[]);
      const input = tf.tensor3d([x]);
      const { output, weights } = mha.apply(input, mask);
      expectAllClose(take(output), flat(expected), 1e-4);
      expectAllClose(take(weights), take(single.weights), 1e-5);
      tf.dispose([input, single.output, mask ?? []]);
    }
  });

  it("with three heads equals three attentions on column slices, side by side, then wo (plain-JS reference)", () => {
    const B = 2, T = 5, D = 6, H = 3, Dh = 2;
    const mha = layer(D, H, 2);
    const xs = randomMatrices(B, T, D, 12);
    const [wq, wk, wv, wo] = [mha.wq, mha.wk, mha.wv, mha.wo].map(matrixOf);
    const bo = mha.bo.arraySync() as number[];
    const mask = causalMask(T);
    const input = tf.tensor3d(xs);
    const { output, weights } = mha.apply(input, mask);
    const expectedOutputs: Matrix[] = [];
    const expectedWeights: Matrix[] = [];
    for (const x of xs) {
      const [q, k, v] = [wq, wk, wv].map((w) => matmul(x, w));
      const heads = Array.from({ length: H }, (_, h) =>
        referenceAttention(columns(q, h * Dh, (h + 1) * Dh), columns(k, h * Dh, (h + 1) * Dh), columns(v, h * Dh, (h + 1) * Dh), true));
      const merged = x.map((_, t) => heads.flatMap((head) => head.output[t]));
      expectedOutputs.push(addRow(matmul(merged, wo), bo));
      expectedWeights.push(...heads.map((head) => head.weights));
    }
    expectAllClose(take(output), flat(expectedOutputs), 1e-4);
    expectAllClose(take(weights), flat(expectedWeights), 1e-5);
    tf.dispose([input, mask]);
  });

  it("keeps every head causal under the mask: no weight above the diagonal", () => {
    const mha = layer(8, 2, 3);
    const mask = causalMask(4);
    const input = tf.randomNormal([2, 4, 8], 0, 1, "float32", 4);
    const { output, weights } = mha.apply(input, mask);
    const w = weights.arraySync() as number[][][][];
    for (const sequence of w) {
      for (const head of sequence) {
        head.forEach((row, t) => {
          expect(row.slice(t + 1).every((x) => x === 0)).toBe(true);
          expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
        });
      }
    }
    tf.dispose([mask, input, output, weights]);
  });

  it("names both numbers when the head count does not divide dModel", () => {
    expect(() => new MultiHeadAttention({ dModel: 64, numHeads: 6 }, makeRng(0))).toThrow(/\b6\b.*\b64\b|\b64\b.*\b6\b/);
    expect(() => checkHeads({ dModel: 10, numHeads: 4 })).toThrow(/\b4\b.*\b10\b|\b10\b.*\b4\b/);
  });

  it("names the key and the value of a zero, negative or fractional size", () => {
    const cases: [Partial<{ dModel: number; numHeads: number }>, RegExp][] = [
      [{ dModel: 0 }, /dModel.*0/],
      [{ dModel: -8 }, /dModel.*-8/],
      [{ dModel: 7.5 }, /dModel.*7\.5/],
      [{ numHeads: 0 }, /numHeads.*0/],
      [{ numHeads: -2 }, /numHeads.*-2/],
      [{ numHeads: 1.5 }, /numHeads.*1\.5/],
    ];
    for (const [override, message] of cases) {
      expect(() => checkHeads({ dModel: 8, numHeads: 2, ...override }), JSON.stringify(override)).toThrow(message);
    }
  });
});
