import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { causalMask, scaledDotProductAttention } from "../lib/attention";
import { makeRng } from "../lib/random";
import {
  Matrix, expectAllClose, flat, maxAbsDiff, randomMatrices, referenceAttention, take, tensorsLeftBy, useBackend,
} from "./helpers";

useBackend();

/** Runs lib attention on plain [T, D] matrices and returns plain output and weights. */
function attend(q: Matrix, k: Matrix, v: Matrix, causal = false): { output: number[]; weights: number[] } {
  const mask = causal ? causalMask(q.length) : undefined;
  const result = scaledDotProductAttention(tf.tensor2d(q), tf.tensor2d(k), tf.tensor2d(v), mask);
  mask?.dispose();
  return { output: take(result.output), weights: take(result.weights) };
}

describe("causalMask", () => {
  it("lets query t see keys 0..t only", () => {
    const mask = causalMask(4).arraySync();
    const expected = [0, 1, 2, 3].map((t) => [0, 1, 2, 3].map((s) => (s <= t ? 1 : 0)));
    expect(mask).toEqual(expected);
  });

  it("rejects a size that is not a positive whole number, by value", () => {
    for (const bad of [0, -2, 1.5]) expect(() => causalMask(bad)).toThrow(String(bad));
  });
});

describe("scaledDotProductAttention", () => {
  it("matches a 2x2 example worked out by hand", () => {
    const q = [[1, 0], [0, 1]];
    const k = [[1, 0], [0, 1]];
    const v = [[1, 2], [3, 4]];
    // scores = q k^T / sqrt(2) = [[s, 0], [0, s]] with s = 1/sqrt(2); each row softmaxes to [w, 1-w] or [1-w, w].
    const s = 1 / Math.sqrt(2);
    const w = Math.exp(s) / (Math.exp(s) + 1);
    const expectedWeights = [w, 1 - w, 1 - w, w];
    const expectedOutput = [w * 1 + (1 - w) * 3, w * 2 + (1 - w) * 4, (1 - w) * 1 + w * 3, (1 - w) * 2 + w * 4];
    const { output, weights } = attend(q, k, v);
    expectAllClose(weights, expectedWeights, 1e-6);
    expectAllClose(output, expectedOutput, 1e-6);
    // With the causal mask the first query can only see the first key: its output is v[0] exactly.
    const masked = attend(q, k, v, true);
    expectAllClose(masked.weights, [1, 0, 1 - w, w], 1e-6);
    expectAllClose(masked.output.slice(0, 2), [1, 2], 1e-6);
  });

  it("gives output [..., T, Dv] and weights [..., T, S], also with leading batch and head axes", () => {
    const tidied = tf.tidy(() => {
      const three = scaledDotProductAttention(tf.ones([2, 3, 4]), tf.ones([2, 5, 4]), tf.ones([2, 5, 6]));
      const four = scaledDotProductAttention(tf.ones([2, 3, 5, 4]), tf.ones([2, 3, 5, 4]), tf.ones([2, 3, 5, 7]), causalMask(5));
      return [three.output.shape, three.weights.shape, four.output.shape, four.weights.shape];
    });
    expect(tidied).toEqual([[2, 3, 6], [2, 3, 5], [2, 3, 5, 7], [2, 3, 5, 5]]);
  });

  it("has weight rows that are non-negative and sum to 1, with and without the mask", () => {
    const [q, k, v] = randomMatrices(3, 6, 4, 1);
    for (const causal of [false, true]) {
      const { weights } = attend(q, k, v, causal);
      for (let t = 0; t < 6; t++) {
        const row = weights.slice(t * 6, t * 6 + 6);
        expect(row.every((x) => x >= 0)).toBe(true);
        expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
        if (causal) expect(row.slice(t + 1).every((x) => x === 0), `row ${t} looks ahead`).toBe(true);
      }
    }
  });

  it("matches a plain-JS float64 reference on random inputs, with and without the mask", () => {
    const [q, k, v] = randomMatrices(3, 5, 3, 2);
    for (const causal of [false, true]) {
      const ours = attend(q, k, v, causal);
      const reference = referenceAttention(q, k, v, causal);
      expectAllClose(ours.weights, flat(reference.weights), 1e-5);
      expectAllClose(ours.output, flat(reference.output), 1e-5);
    }
  });

  it("with the causal mask, changing token t+1 leaves outputs at 0..t unchanged and changes t+1", () => {
    const T = 6;
    const [x] = randomMatrices(1, T, 4, 3);
    const base = attend(x, x, x, true).output; // self-attention: q, k and v all come from the tokens
    for (let t = 0; t < T - 1; t++) {
      const changed = x.map((row, i) => (i === t + 1 ? row.map((value) => value + 1.5) : row));
      const after = attend(changed, changed, changed, true).output;
      expect(maxAbsDiff(after.slice(0, (t + 1) * 4), base.slice(0, (t + 1) * 4)), `positions <= ${t}`).toBeLessThan(1e-6);
      expect(maxAbsDiff(after.slice((t + 1) * 4, (t + 2) * 4), base.slice((t + 1) * 4, (t + 2) * 4))).toBeGreaterThan(1e-3);
    }
    // Without the mask, the first position does see the last token.
    const unmasked = attend(x, x, x).output;
    const lastChanged = x.map((row, i) => (i === T - 1 ? row.map((value) => value + 1.5) : row));
    expect(maxAbsDiff(attend(lastChanged, lastChanged, lastChanged).output.slice(0, 4), unmasked.slice(0, 4))).toBeGreaterThan(1e-3);
  });

  it("names both widths when query and key widths differ", () => {
    const q = tf.ones([2, 3]);
    const k = tf.ones([2, 4]);
    expect(() => scaledDotProductAttention(q, k, k)).toThrow(/3.*4/);
    tf.dispose([q, k]);
  });

  it("leaves only its two results behind", () => {
    const q = tf.ones([2, 3, 4]);
    const mask = causalMask(3);
    let result: ReturnType<typeof scaledDotProductAttention> | undefined;
    expect(tensorsLeftBy(() => (result = scaledDotProductAttention(q, q, q, mask)))).toBe(2);
    tf.dispose([q, mask, result!.output, result!.weights]);
  });
});

describe("attention gradients", () => {
  // loss = sum(output * R) for a fixed random R; d loss / d q, k, v from tfjs against central differences
  // of the float64 reference (eps 1e-5), and d loss / d q against central differences of tfjs itself.
  const T = 4;
  const D = 3;
  const [q, k, v, r] = randomMatrices(4, T, D, 5);
  const referenceLoss = (qq: Matrix, kk: Matrix, vv: Matrix, causal: boolean) =>
    referenceAttention(qq, kk, vv, causal).output.reduce((sum, row, t) => sum + row.reduce((s, x, j) => s + x * r[t][j], 0), 0);

  function tfGradients(causal: boolean): number[][] {
    const mask = causal ? causalMask(T) : undefined;
    const weightsR = tf.tensor2d(r);
    const loss = (qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor) =>
      tf.tidy(() => scaledDotProductAttention(qq, kk, vv, mask).output.mul(weightsR).sum() as tf.Scalar);
    const inputs = [tf.tensor2d(q), tf.tensor2d(k), tf.tensor2d(v)];
    const grads = tf.grads(loss)(inputs);
    const values = grads.map(take);
    tf.dispose([...inputs, weightsR]);
    mask?.dispose();
    return values;
  }

  function numericGradient(which: number, causal: boolean, eps = 1e-5): number[] {
    const out: number[] = [];
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < D; j++) {
        const shifted = (delta: number) => {
          const args = [q, k, v].map((m, i) => (i === which ? m.map((row, tt) => row.map((x, jj) => (tt === t && jj === j ? x + delta : x))) : m));
          return referenceLoss(args[0], args[1], args[2], causal);
        };
        out.push((shifted(eps) - shifted(-eps)) / (2 * eps));
      }
    }
    return out;
  }

  for (const causal of [false, true]) {
    it(`match central differences for q, k and v (${causal ? "causal" : "no mask"})`, () => {
      const analytic = tfGradients(causal);
      ["q", "k", "v"].forEach((name, which) => {
        const numeric = numericGradient(which, causal);
        expect(numeric.some((g) => Math.abs(g) > 1e-2), `${name} gradient is not trivially zero`).toBe(true);
        expectAllClose(analytic[which], numeric, 1e-4);
      });
    });
  }

  it("match central differences of the float32 tfjs forward pass for q (eps 1e-2)", () => {
    const eps = 1e-2;
    const rTensor = tf.tensor2d(r);
    const kT = tf.tensor2d(k);
    const vT = tf.tensor2d(v);
    const lossAt = (qq: Matrix) =>
      tf.tidy(() => scaledDotProductAttention(tf.tensor2d(qq), kT, vT).output.mul(rTensor).sum().dataSync()[0]);
    const numeric: number[] = [];
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < D; j++) {
        const shifted = (delta: number) => q.map((row, tt) => row.map((x, jj) => (tt === t && jj === j ? x + delta : x)));
        numeric.push((lossAt(shifted(eps)) - lossAt(shifted(-eps))) / (2 * eps));
      }
    }
    const analytic = tfGradients(false)[0];
    expectAllClose(analytic, numeric, 2e-3);
    tf.dispose([rTensor, kT, vT]);
  });

  it("uses a reference that itself agrees with a hand-sized check", () => {
    // Guards the reference: with identical keys every weight is 1/S, so the output is the mean of v.
    const rng = makeRng(9);
    const qq = [[rng.normal(), rng.normal()]];
    const kk = [[1, 1], [1, 1], [1, 1]];
    const vv = [[1, 0], [0, 1], [2, 2]];
    expect(referenceAttention(qq, kk, vv).output[0]).toEqual([1, 1]);
    expectAllClose(attend(qq, kk, vv).output, [1, 1], 1e-6);
  });
});
