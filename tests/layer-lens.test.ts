import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allProblems, promptIds, splitProblems } from "../lib/data";
import { generateIds } from "../lib/generate";
import { firstWordRightByLayer, lensProbabilities } from "../lib/analysis/layer-lens";
import { Transformer } from "../lib/model";
import { encode } from "../lib/vocab";
import { maxAbsDiff, take, tensorsLeftBy, useBackend } from "./helpers";

useBackend();

const SMALL = { dModel: 16, numHeads: 2, numLayers: 3, seed: 5 };
const PROMPTS = ["six times eight", "two plus three", "nine minus four"].map(promptIds); // [B, T], all 5 tokens

describe("Transformer.residualStreams and readOut", () => {
  let model: Transformer;
  beforeAll(() => (model = new Transformer(SMALL)));
  afterAll(() => model.dispose());

  it("give one [B, T, D] stream per layer plus the embeddings, and the last one read out is forward's logits", () => {
    const { streams, attention } = model.residualStreams(PROMPTS);
    expect(streams.map((s) => s.shape)).toEqual(Array(4).fill([3, 5, 16]));
    expect(attention).toHaveLength(3);
    const { logits, attention: forwardAttention } = model.forward(PROMPTS);
    expect(maxAbsDiff(take(model.readOut(streams[3])), take(logits))).toBe(0);
    tf.dispose([streams, attention, forwardAttention]);
  });
});

describe("lensProbabilities", () => {
  let model: Transformer;
  beforeAll(() => (model = new Transformer(SMALL)));
  afterAll(() => model.dispose());

  it("gives [numLayers + 1, B, V] probabilities at the last position; the last layer is the model's own prediction", () => {
    const probabilities = lensProbabilities(model, PROMPTS);
    expect(probabilities.shape).toEqual([4, 3, model.config.vocabSize]);
    const rows = probabilities.arraySync();
    for (const layer of rows) for (const row of layer) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const own = tf.tidy(() => tf.softmax(model.forward(PROMPTS).logits.slice([0, 4, 0], [-1, 1, -1]).squeeze([1]))); // [B, V]
    expect(maxAbsDiff(rows[3].flat(), take(own))).toBeLessThan(1e-6);
    // After the embeddings alone, the last position holds "=" at the same place in every prompt: one prediction.
    expect(maxAbsDiff(rows[0][0], rows[0][1])).toBe(0);
    probabilities.dispose();
  });

  it("rejects prompts of different lengths, naming them", () => {
    expect(() => lensProbabilities(model, [promptIds("two plus three"), promptIds("forty two minus one")])).toThrow(/different lengths.*lengths 5, 6/);
  });

  it("leaves no tensors behind", () => {
    expect(tensorsLeftBy(() => lensProbabilities(model, PROMPTS).dispose())).toBe(0);
  });
});

describe("firstWordRightByLayer", () => {
  let model: Transformer;
  beforeAll(() => (model = new Transformer({ ...SMALL, numLayers: 2 })));
  afterAll(() => model.dispose());
  const problems = splitProblems(allProblems(), 0.1, 0).test.slice(0, 300); // prompts of several lengths

  it("counts every problem once per operation, in OPERATIONS order, and its last layer agrees with greedy generation", () => {
    let counts: ReturnType<typeof firstWordRightByLayer> = [];
    expect(tensorsLeftBy(() => (counts = firstWordRightByLayer(model, problems)))).toBe(0);
    expect(counts.map((c) => c.op)).toEqual(["plus", "minus", "times", "divided"].filter((op) => problems.some((p) => p.op === op)));
    for (const c of counts) {
      expect(c.of).toBe(problems.filter((p) => p.op === c.op).length);
      expect(c.right).toHaveLength(3);
      const firstWords = generateIds(model, problems.filter((p) => p.op === c.op).map((p) => promptIds(p.question)), 1);
      const greedyRight = problems.filter((p) => p.op === c.op).filter((p, i) => firstWords[i][0] === encode(p.answer)[0]).length;
      expect(c.right[2]).toBe(greedyRight);
    }
  });
});
