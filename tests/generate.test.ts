import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Problem, allProblems, promptIds, splitProblems } from "../lib/data";
import { MAX_ANSWER_TOKENS, answer, answerText, evaluate, generateIds } from "../lib/generate";
import { ModelConfig, Transformer } from "../lib/model";
import { END_ID, EQUALS_ID, VOCAB, encode, splitWords } from "../lib/vocab";
import { tensorsLeftBy, useBackend } from "./helpers";

useBackend();

const SMALL: Partial<ModelConfig> = { dModel: 8, numHeads: 2, numLayers: 1, contextLength: 12, seed: 1 };
const FIVE = VOCAB.indexOf("five");

/** Sets a weight to zeros with some entries changed. */
function setWeight(w: tf.Variable, entries: [number[], number][]): void {
  const values = tf.buffer(w.shape, "float32");
  for (const [index, value] of entries) values.set(value, ...index);
  tf.tidy(() => w.assign(values.toTensor()));
}

/**
 * A model wired by hand to answer "five [END]" to anything: with the attention and feed-forward outputs
 * and the position embeddings zeroed, the logits depend only on the current token. "=" is embedded along
 * axis 0, which the head maps to "five"; "five" along axis 1, which the head maps to [END].
 */
function fiveSayer(): Transformer {
  const model = new Transformer(SMALL);
  const block = model.blocks[0];
  for (const w of [block.attention.wo, block.feedForward.w2, model.positionEmbedding]) setWeight(w, []);
  setWeight(model.tokenEmbedding, [[[EQUALS_ID, 0], 10], [[FIVE, 1], 10]]);
  setWeight(model.head, [[[0, FIVE], 1], [[1, END_ID], 1]]);
  return model;
}

/** A model whose head bias makes `token` the most likely next token everywhere. */
function alwaysSays(token: number, overrides: Partial<ModelConfig> = {}): Transformer {
  const model = new Transformer({ ...SMALL, ...overrides });
  setWeight(model.headBias, [[[token], 100]]);
  return model;
}

describe("answer", () => {
  let untrained: Transformer;
  beforeAll(() => {
    untrained = new Transformer(SMALL);
  });
  afterAll(() => untrained.dispose());

  it("refuses an empty prompt", () => {
    expect(() => answer(untrained, "")).toThrow(/empty/);
    expect(() => answer(untrained, "   ")).toThrow(/empty/);
  });

  it("names both lengths when the prompt leaves no room in the context", () => {
    const short = new Transformer({ ...SMALL, contextLength: 6 });
    // [START] twenty three plus forty five = : 7 tokens
    expect(() => answer(short, "twenty three plus forty five")).toThrow(/7 tokens.*6/);
    expect(() => answer(short, "two plus three plus four")).toThrow(/7 tokens.*6/);
    short.dispose();
  });

  it("names an unknown word in the question", () => {
    expect(() => answer(untrained, "two plus thre")).toThrow(/"thre".*"three"/);
  });

  it("from an untrained model is a string of at most three vocabulary words", () => {
    for (const question of ["two plus three", "ninety nine minus ninety nine", "six times seven"]) {
      const said = answer(untrained, question);
      expect(typeof said).toBe("string");
      const words = splitWords(said);
      expect(words.length).toBeLessThanOrEqual(MAX_ANSWER_TOKENS);
      expect(words.every((w) => VOCAB.includes(w) && w !== "[END]"), said).toBe(true);
    }
  });

  it("follows the hand-wired model: five, then [END]", () => {
    const model = fiveSayer();
    expect(generateIds(model, [promptIds("two plus three")])).toEqual([[FIVE, END_ID]]);
    expect(answer(model, "two plus three")).toBe("five");
    expect(answer(model, "ninety nine divided by three")).toBe("five");
    model.dispose();
  });

  it("keeps no tensors behind", () => {
    answer(untrained, "two plus three"); // warm-up
    expect(tensorsLeftBy(() => answer(untrained, "forty two minus seven"))).toBe(0);
  });
});

describe("generateIds", () => {
  it("stops at [END] and answerText drops it", () => {
    const model = alwaysSays(END_ID);
    expect(generateIds(model, [promptIds("two plus three")])).toEqual([[END_ID]]);
    expect(answer(model, "two plus three")).toBe("");
    model.dispose();
  });

  it("stops after maxNewTokens without [END], and at the end of the context", () => {
    const model = alwaysSays(FIVE);
    const prompt = promptIds("two plus three"); // 5 tokens
    expect(generateIds(model, [prompt])).toEqual([new Array(MAX_ANSWER_TOKENS).fill(FIVE)]);
    expect(generateIds(model, [prompt], 1)).toEqual([[FIVE]]);
    expect(answer(model, "two plus three")).toBe(new Array(MAX_ANSWER_TOKENS).fill("five").join(" "));
    model.dispose();
    // A context of prompt + 1 tokens: one token fits after the prompt, and the pass over that full
    // context still predicts one more (which is never fed back), so two tokens come out.
    const tight = alwaysSays(FIVE, { contextLength: prompt.length + 1 });
    expect(generateIds(tight, [prompt])).toEqual([[FIVE, FIVE]]);
    tight.dispose();
  });

  it("decodes a batch of prompts of different lengths like each prompt alone, with or without the causal mask", () => {
    const prompts = ["two plus three", "twenty one plus three", "six times seven", "ninety nine divided by eleven"].map(promptIds);
    for (const attendTo of ["past", "all"] as const) {
      const model = new Transformer({ ...SMALL, attendTo });
      // Weights 30x their initial size: attention far from even, so padding the short rows would change their answers.
      for (const w of Object.values(model.namedWeights())) tf.tidy(() => w.assign(w.mul(30)));
      expect(generateIds(model, prompts)).toEqual(prompts.map((p) => generateIds(model, [p])[0]));
      model.dispose();
    }
  });

  it("stops each row at its own [END]", () => {
    const model = fiveSayer(); // "=" -> five, five -> [END]
    const prompts = [promptIds("two plus three"), [...promptIds("two plus three"), FIVE]];
    expect(generateIds(model, prompts)).toEqual([[FIVE, END_ID], [END_ID]]);
    model.dispose();
  });

  it("answerText reads the words before [END]", () => {
    expect(answerText([...encode("forty two"), END_ID, FIVE])).toBe("forty two");
    expect(answerText(encode("seven seven"))).toBe("seven seven");
  });
});

describe("evaluate", () => {
  const all = allProblems();
  const someOf = (op: string, count: number) => all.filter((p) => p.op === op).slice(0, count);

  it("scores exact answers: the hand-wired model is right exactly on problems whose answer is five", () => {
    const model = fiveSayer();
    const problems: Problem[] = [...someOf("plus", 40), ...someOf("times", 30), ...someOf("divided", 25)];
    const { accuracy, perOp, answers } = evaluate(model, problems, 16);
    const isFive = (p: Problem) => p.result === 5;
    const share = (ps: Problem[]) => ps.filter(isFive).length / ps.length;
    expect(problems.filter(isFive).length).toBeGreaterThan(0);
    expect(answers).toEqual(problems.map(() => "five"));
    expect(accuracy).toBeCloseTo(share(problems), 12);
    expect(perOp.plus).toBeCloseTo(share(someOf("plus", 40)), 12);
    expect(perOp.times).toBeCloseTo(share(someOf("times", 30)), 12);
    expect(perOp.divided).toBeCloseTo(share(someOf("divided", 25)), 12);
    model.dispose();
  });

  it("reports only the operations present, and answers in problem order whatever the batch size", () => {
    const model = new Transformer(SMALL);
    const problems = [...someOf("minus", 7), ...someOf("divided", 9)].reverse();
    const big = evaluate(model, problems);
    const small = evaluate(model, problems, 2);
    expect(Object.keys(big.perOp).sort()).toEqual(["divided", "minus"]);
    expect(small.answers).toEqual(big.answers);
    expect(big.answers).toEqual(problems.map((p) => answer(model, p.question)));
    expect(big.accuracy).toBeGreaterThanOrEqual(0);
    expect(big.accuracy).toBeLessThanOrEqual(1);
    const empty = evaluate(model, []);
    expect(empty).toEqual({ accuracy: 0, perOp: {}, answers: [] });
    model.dispose();
  });

  it("keeps no tensors behind", () => {
    const model = new Transformer(SMALL);
    const problems = splitProblems(all, 0.1, 0).test.slice(0, 30);
    evaluate(model, problems); // warm-up
    expect(tensorsLeftBy(() => evaluate(model, problems, 8))).toBe(0);
    model.dispose();
  });
});
