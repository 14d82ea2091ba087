import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { causalMask } from "../lib/attention";
import { BlockConfig, FeedForward, LayerNorm, TransformerBlock, prefixed } from "../lib/block";
import { makeRng } from "../lib/random";
import { Matrix, addRow, expectAllClose, flat, matmul, randomMatrices, referenceLayerNorm, take, useBackend } from "./helpers";

useBackend();

const D = 8;
const config = (overrides: Partial<BlockConfig> = {}): BlockConfig => ({ dModel: D, numHeads: 2, ffnHidden: 12, norm: "pre", residual: true, ...overrides });

/** Replaces every weight by random values of a visible size (the defaults start every bias at 0 and every norm at 1, which hides mistakes). */
function randomise(weights: Record<string, tf.Variable>, seed: number): void {
  const rng = makeRng(seed);
  for (const w of Object.values(weights)) tf.tidy(() => w.assign(tf.randomNormal(w.shape, 0.1, 0.5, "float32", rng.int(1e9))));
}

const input = () => tf.tensor3d(randomMatrices(2, 5, D, 21)); // [2, 5, D]

describe("LayerNorm", () => {
  it("matches a plain-JS layer norm, with its gain and bias", () => {
    const norm = new LayerNorm(D);
    randomise(norm.namedWeights(), 1);
    const rows = randomMatrices(1, 6, D, 22)[0].map((row, i) => row.map((x) => x * (i + 1) + i)); // various scales and offsets
    const x = tf.tensor3d([rows]);
    const expected = referenceLayerNorm(rows, norm.gain.arraySync() as number[], norm.bias.arraySync() as number[]);
    expectAllClose(take(norm.apply(x)), flat(expected), 1e-4);
    x.dispose();
  });

  it("gives every token mean 0 and variance 1 with the initial gain and bias", () => {
    const norm = new LayerNorm(D);
    const x = input();
    const y = norm.apply(x).arraySync() as number[][][];
    for (const row of y.flat()) {
      const mean = row.reduce((a, b) => a + b, 0) / D;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / D;
      expect(Math.abs(mean)).toBeLessThan(1e-5);
      expect(Math.abs(variance - 1)).toBeLessThan(1e-3);
    }
    x.dispose();
  });
});

describe("FeedForward", () => {
  it("is relu(x w1 + b1) w2 + b2 on every token, [B, T, D] -> [B, T, D]", () => {
    const ffn = new FeedForward(D, 12, makeRng(0));
    randomise(ffn.namedWeights(), 2);
    const xs = randomMatrices(2, 3, D, 23);
    const [w1, b1, w2, b2] = [ffn.w1, ffn.b1, ffn.w2, ffn.b2].map((w) => w.arraySync());
    const expected = xs.map((x) => {
      const hidden = addRow(matmul(x, w1 as Matrix), b1 as number[]).map((row) => row.map((h) => Math.max(0, h)));
      return addRow(matmul(hidden, w2 as Matrix), b2 as number[]);
    });
    const x = tf.tensor3d(xs);
    const y = ffn.apply(x);
    expect(y.shape).toEqual([2, 3, D]);
    expectAllClose(take(y), flat(expected), 1e-4);
    x.dispose();
  });
});

describe("TransformerBlock", () => {
  it("gives output [B, T, D] and attention weights [B, H, T, T]", () => {
    const block = new TransformerBlock(config(), makeRng(0));
    const shapes = tf.tidy(() => {
      const { output, weights } = block.apply(tf.ones([2, 5, D]), causalMask(5));
      return [output.shape, weights.shape];
    });
    expect(shapes).toEqual([[2, 5, D], [2, 2, 5, 5]]);
  });

  // The three wirings, written with the block's own sub-layers.
  const wirings: [string, Partial<BlockConfig>, (b: TransformerBlock, x: tf.Tensor, mask: tf.Tensor) => tf.Tensor][] = [
    ["pre-norm: h = x + attn(norm1(x)); out = h + ffn(norm2(h))", { norm: "pre" }, (b, x, mask) => {
      const h = x.add(b.attention.apply(b.norm1.apply(x), mask).output);
      return h.add(b.feedForward.apply(b.norm2.apply(h)));
    }],
    ["post-norm: h = norm1(x + attn(x)); out = norm2(h + ffn(h))", { norm: "post" }, (b, x, mask) => {
      const h = b.norm1.apply(x.add(b.attention.apply(x, mask).output));
      return b.norm2.apply(h.add(b.feedForward.apply(h)));
    }],
    ["pre-norm without residuals: out = ffn(norm2(attn(norm1(x))))", { residual: false }, (b, x, mask) =>
      b.feedForward.apply(b.norm2.apply(b.attention.apply(b.norm1.apply(x), mask).output))],
    ["post-norm without residuals: out = norm2(ffn(norm1(attn(x))))", { norm: "post", residual: false }, (b, x, mask) =>
      b.norm2.apply(b.feedForward.apply(b.norm1.apply(b.attention.apply(x, mask).output)))],
  ];
  for (const [name, overrides, expected] of wirings) {
    it(`wires ${name}`, () => {
      const block = new TransformerBlock(config(overrides), makeRng(3));
      randomise(block.namedWeights(), 4);
      const [ours, theirs] = tf.tidy(() => {
        const x = input();
        const mask = causalMask(5);
        return [block.apply(x, mask).output, expected(block, x, mask)];
      });
      expectAllClose(take(ours), take(theirs), 1e-5);
    });
  }

  it("names a bad norm placement and a bad ffnHidden", () => {
    expect(() => new TransformerBlock(config({ norm: "middle" as "pre" }), makeRng(0))).toThrow(/"middle"/);
    expect(() => new TransformerBlock(config({ ffnHidden: 0 }), makeRng(0))).toThrow(/ffnHidden.*0/);
    expect(() => new TransformerBlock(config({ ffnHidden: 2.5 }), makeRng(0))).toThrow(/ffnHidden.*2\.5/);
    expect(() => new TransformerBlock(config({ numHeads: 3 }), makeRng(0))).toThrow(/\b3\b.*\b8\b/);
  });

  it("names its weights group.name with the expected shapes", () => {
    const block = new TransformerBlock(config(), makeRng(0));
    const shapes = Object.fromEntries(Object.entries(block.namedWeights()).map(([name, w]) => [name, w.shape]));
    expect(shapes).toEqual({
      "attention.wq": [D, D], "attention.wk": [D, D], "attention.wv": [D, D], "attention.wo": [D, D], "attention.bo": [D],
      "norm1.gain": [D], "norm1.bias": [D],
      "feedForward.w1": [D, 12], "feedForward.b1": [12], "feedForward.w2": [12, D], "feedForward.b2": [D],
      "norm2.gain": [D], "norm2.bias": [D],
    });
    const v = block.norm1.gain;
    expect(prefixed({ a: { w: v }, b: { w: v } })).toEqual({ "a.w": v, "b.w": v });
  });
});
