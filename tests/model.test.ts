import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, ModelConfig, Transformer, makeConfig } from "../lib/model";
import { VOCAB_SIZE } from "../lib/vocab";
import { maxAbsDiff, take, tensorsLeftBy, useBackend } from "./helpers";

useBackend();

const SMALL: Partial<ModelConfig> = { dModel: 16, numHeads: 2, numLayers: 2, contextLength: 10, seed: 3 };

describe("makeConfig", () => {
  it("fills in the defaults and lets ffnHidden follow dModel unless given", () => {
    expect(makeConfig()).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG.vocabSize).toBe(VOCAB_SIZE);
    expect(makeConfig({ dModel: 32 }).ffnHidden).toBe(128);
    expect(makeConfig({ dModel: 32, ffnHidden: 50 }).ffnHidden).toBe(50);
  });

  it("names the key and value of every zero, negative or fractional size", () => {
    for (const key of ["vocabSize", "contextLength", "dModel", "numHeads", "numLayers", "ffnHidden"] as const) {
      for (const bad of [0, -4, 2.5]) {
        expect(() => makeConfig({ [key]: bad }), `${key} = ${bad}`).toThrow(new RegExp(`${key}.*${String(bad).replace(".", "\\.")}`));
      }
    }
    expect(() => makeConfig({ seed: 0.5 })).toThrow(/seed.*0\.5/);
  });

  it("names both numbers when numHeads does not divide dModel", () => {
    expect(() => makeConfig({ dModel: 64, numHeads: 6 })).toThrow(/\b6\b.*\b64\b|\b64\b.*\b6\b/);
    expect(() => new Transformer({ dModel: 64, numHeads: 6 })).toThrow(/\b6\b.*\b64\b|\b64\b.*\b6\b/);
  });
});

describe("Transformer", () => {
  let model: Transformer;
  beforeAll(() => {
    model = new Transformer(SMALL);
  });
  afterAll(() => model.dispose());
  const ids = [
    [1, 5, 30, 6, 3, 11, 2, 0],
    [1, 25, 9, 32, 7, 3, 14, 2],
  ];

  it("gives logits [B, T, V] and one [B, H, T, T] attention map per layer", () => {
    const { logits, attention } = model.forward(ids);
    expect(logits.shape).toEqual([2, 8, VOCAB_SIZE]);
    expect(attention.map((a) => a.shape)).toEqual([[2, 2, 8, 8], [2, 2, 8, 8]]);
    tf.dispose([logits, attention]);
  });

  it("accepts ids as a tensor and gives the same logits", () => {
    const fromArrays = model.forward(ids);
    const idTensor = tf.tensor2d(ids, undefined, "int32");
    const fromTensor = model.forward(idTensor);
    expect(maxAbsDiff(take(fromTensor.logits), take(fromArrays.logits))).toBe(0);
    tf.dispose([idTensor, fromArrays.attention, fromTensor.attention]);
  });

  it("is causal: changing token t+1 leaves logits at 0..t unchanged and changes t+1", () => {
    const T = ids[0].length;
    const V = VOCAB_SIZE;
    const base = take(model.forward([ids[0]]).logits);
    for (let t = 0; t < T - 1; t++) {
      const changed = ids[0].slice();
      changed[t + 1] = (changed[t + 1] + 7) % V;
      const { logits, attention } = model.forward([changed]);
      const after = take(logits);
      tf.dispose(attention);
      expect(maxAbsDiff(after.slice(0, (t + 1) * V), base.slice(0, (t + 1) * V)), `logits at positions <= ${t}`).toBeLessThan(1e-6);
      expect(maxAbsDiff(after.slice((t + 1) * V, (t + 2) * V), base.slice((t + 1) * V, (t + 2) * V)), `position ${t + 1}`).toBeGreaterThan(1e-5);
    }
  });

  it("gives the same logits for a prefix as for the full sequence at the same positions", () => {
    const full = take(model.forward([ids[1]]).logits);
    const prefix = take(model.forward([ids[1].slice(0, 4)]).logits);
    expect(maxAbsDiff(prefix, full.slice(0, 4 * VOCAB_SIZE))).toBeLessThan(1e-5);
  });

  it("names both numbers when the input is longer than the context, and refuses empty input", () => {
    const tooLong = [Array.from({ length: 11 }, () => 1)];
    expect(() => model.forward(tooLong)).toThrow(/11.*10/);
    expect(() => model.forward([])).toThrow(/expected at least one token/);
    expect(() => model.forward([[]])).toThrow(/expected at least one token/);
  });

  it("has the parameters counted by hand, under stable names", () => {
    const { vocabSize: V, contextLength: C, dModel: D, ffnHidden: F, numLayers: L } = model.config;
    const perBlock = 4 * D * D + D /* attention */ + 2 * D /* norm1 */ + D * F + F + F * D + D /* ffn */ + 2 * D; /* norm2 */
    expect(model.numParameters()).toBe(V * D + C * D + L * perBlock + 2 * D + D * V + V);
    const names = Object.keys(model.namedWeights());
    expect(names.slice(0, 2)).toEqual(["embedding.token", "embedding.position"]);
    expect(names).toContain("blocks.1.attention.wq");
    expect(names).toContain("blocks.0.feedForward.w2");
    expect(names.slice(-4)).toEqual(["finalNorm.gain", "finalNorm.bias", "head.weight", "head.bias"]);
    expect(names.length).toBe(2 + 13 * L + 4);
  });

  it("starts from the same weights for the same seed and from other weights for another seed", () => {
    const again = new Transformer(SMALL);
    const other = new Transformer({ ...SMALL, seed: 4 });
    const a = model.namedWeights();
    const b = again.namedWeights();
    const c = other.namedWeights();
    for (const name of Object.keys(a)) expect(maxAbsDiff(a[name].dataSync(), b[name].dataSync()), name).toBe(0);
    expect(maxAbsDiff(a["blocks.0.attention.wq"].dataSync(), c["blocks.0.attention.wq"].dataSync())).toBeGreaterThan(0);
    again.dispose();
    other.dispose();
  });

  it("starts every weight matrix with spread 1/√fan-in, the projections into the residual stream 1/√(2N) of that", () => {
    const wide = new Transformer({ dModel: 64, numHeads: 4, numLayers: 2, seed: 1 }); // enough numbers for a steady spread
    const spread = (w: tf.Variable) => {
      const values = Array.from(w.dataSync());
      return Math.sqrt(values.reduce((sum, v) => sum + v * v, 0) / values.length);
    };
    const expected: Record<string, number> = {
      "embedding.token": 1 / 8, "embedding.position": 1 / 8, "head.weight": 1 / 8,
      "blocks.1.attention.wq": 1 / 8, "blocks.1.attention.wo": 1 / 8 / 2,
      "blocks.1.feedForward.w1": 1 / 8, "blocks.1.feedForward.w2": 1 / 16 / 2,
    };
    const weights = wide.namedWeights();
    for (const [name, std] of Object.entries(expected)) expect(spread(weights[name]) / std, name).toBeCloseTo(1, 1);
    expect(weights["blocks.1.attention.bo"].dataSync().every((v) => v === 0)).toBe(true);
    const gpt2 = new Transformer({ dModel: 64, numHeads: 4, numLayers: 2, seed: 1, init: "gpt-2" }).namedWeights();
    for (const [name, std] of Object.entries({ "embedding.token": 0.02, "blocks.1.attention.wq": 0.02, "blocks.1.feedForward.w2": 0.01 })) {
      expect(spread(gpt2[name]) / std, name).toBeCloseTo(1, 1);
    }
    tf.dispose(Object.values(gpt2));
    wide.dispose();
  });

  it("leaves only its results behind after forward", () => {
    let result: ReturnType<Transformer["forward"]> | undefined;
    expect(tensorsLeftBy(() => (result = model.forward(ids)))).toBe(1 + model.config.numLayers);
    expect(tensorsLeftBy(() => tf.dispose([result!.logits, result!.attention]))).toBe(-(1 + model.config.numLayers));
  });

  it("frees every tensor it made when disposed", () => {
    // lib/model.ts (and block.ts, multihead.ts) create weights as tf.variable(tf.tensor2d(...)) outside tf.tidy:
    // the initial tensor is never disposed, so each weight leaves one tensor behind after dispose().
    const left = tensorsLeftBy(() => new Transformer({ ...SMALL, numLayers: 1 }).dispose());
    expect(left).toBe(0);
  });
});

describe("Transformer switches for experiments (attendTo, residual)", () => {
  const seq = [1, 5, 30, 6, 3, 11, 2, 0];
  /** Which positions' logits change when token `t` changes. */
  function positionsMovedBy(model: Transformer, t: number): number[] {
    const V = VOCAB_SIZE;
    const base = take(model.forward([seq]).logits);
    const changed = seq.slice();
    changed[t] = (changed[t] + 7) % V;
    const after = take(model.forward([changed]).logits);
    return seq.map((_, p) => p).filter((p) => maxAbsDiff(after.slice(p * V, (p + 1) * V), base.slice(p * V, (p + 1) * V)) > 1e-6);
  }

  it('attendTo "all" lets a later token change earlier logits (no mask)', () => {
    const model = new Transformer({ ...SMALL, attendTo: "all" });
    expect(positionsMovedBy(model, 5)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    model.dispose();
  });

  it('attendTo "self": a token changes only its own logits, and every attention row is one-hot on itself', () => {
    const model = new Transformer({ ...SMALL, attendTo: "self" });
    for (const t of [0, 3, 7]) expect(positionsMovedBy(model, t)).toEqual([t]);
    const { logits, attention } = model.forward([seq]);
    const weights = take(attention[0]); // [1, H, T, T]
    const T = seq.length;
    for (let i = 0; i < weights.length; i++) expect(weights[i]).toBeCloseTo(Math.floor(i / T) % T === i % T ? 1 : 0, 6);
    tf.dispose([logits, attention]);
    model.dispose();
  });

  it('the default "past" is causal, and residual: false still gives logits of the right shape', () => {
    const model = new Transformer({ ...SMALL, residual: false });
    expect(positionsMovedBy(model, 5)).toEqual([5, 6, 7]);
    const { logits, attention } = model.forward([seq]);
    expect(logits.shape).toEqual([1, seq.length, VOCAB_SIZE]);
    tf.dispose([logits, attention]);
    model.dispose();
  });

  it("names a bad attendTo, residual, norm or init and what to use", () => {
    expect(() => makeConfig({ attendTo: "future" as never })).toThrow(/attendTo.*"past", "all", "self".*"future"/);
    expect(() => makeConfig({ residual: "no" as never })).toThrow(/residual must be true or false, got no/);
    expect(() => makeConfig({ norm: "mid" as never })).toThrow(/norm must be "pre" or "post", got "mid"/);
    expect(() => makeConfig({ init: "xavier" as never })).toThrow(/init must be "fan-in" or "gpt-2", got "xavier"/);
  });
});
