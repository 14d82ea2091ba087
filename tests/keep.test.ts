import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { keep } from "../lib/keep";
import { MultiHeadAttention } from "../lib/multihead";
import { makeRng } from "../lib/random";
import { tensorsLeftBy, useBackend } from "./helpers";

useBackend();

describe("keep", () => {
  it("returns what make returns and disposes what was kept under the same name before", () => {
    const first = keep("test-same-name", () => tf.ones([2, 3]));
    const second = keep("test-same-name", () => tf.zeros([2, 3]));
    expect(first.isDisposed).toBe(true);
    expect(second.isDisposed).toBe(false);
    expect(second.shape).toEqual([2, 3]);
  });

  it("disposes the tensors make creates along the way", () => {
    const left = tensorsLeftBy(() => keep("test-tidy", () => tf.ones([4]).mul(2).add(1)));
    expect(left).toBe(1);
  });

  it("leaves tensors kept under other names alone", () => {
    const a = keep("test-name-a", () => tf.ones([2]));
    keep("test-name-b", () => tf.ones([2]));
    keep("test-name-b", () => tf.ones([2]));
    expect(a.isDisposed).toBe(false);
  });

  it("does not dispose a value that is kept again", () => {
    const x = keep("test-again", () => tf.ones([2]));
    keep("test-again", () => x);
    expect(x.isDisposed).toBe(false);
  });

  it("keeps the old value when make throws", () => {
    const x = keep("test-throws", () => tf.ones([2]));
    expect(() => keep("test-throws", () => { throw new Error("no"); })).toThrow("no");
    expect(x.isDisposed).toBe(false);
  });

  it("disposes every tensor inside objects, arrays and layers", () => {
    const before = tf.memory().numTensors;
    keep("test-layer", () => new MultiHeadAttention({ dModel: 8, numHeads: 2 }, makeRng(0)));
    keep("test-record", () => ({ q: tf.ones([2]), parts: [tf.ones([3]), tf.ones([4])] }));
    expect(tf.memory().numTensors - before).toBe(5 + 3);
    keep("test-layer", () => tf.scalar(1));
    keep("test-record", () => tf.scalar(2));
    expect(tf.memory().numTensors - before).toBe(2);
  });
});
