import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { remake } from "../lib/notebook/remake";
import { MultiHeadAttention } from "../lib/multihead";
import { makeRng } from "../lib/random";
import { tensorsLeftBy, useBackend } from "./helpers";

useBackend();

describe("remake", () => {
  it("returns what make returns and disposes what was made under the same name before", () => {
    const first = remake("test-same-name", () => tf.ones([2, 3]));
    const second = remake("test-same-name", () => tf.zeros([2, 3]));
    expect(first.isDisposed).toBe(true);
    expect(second.isDisposed).toBe(false);
    expect(second.shape).toEqual([2, 3]);
  });

  it("disposes the tensors make creates along the way", () => {
    const left = tensorsLeftBy(() => remake("test-tidy", () => tf.ones([4]).mul(2).add(1)));
    expect(left).toBe(1);
  });

  it("leaves tensors made under other names alone", () => {
    const a = remake("test-name-a", () => tf.ones([2]));
    remake("test-name-b", () => tf.ones([2]));
    remake("test-name-b", () => tf.ones([2]));
    expect(a.isDisposed).toBe(false);
  });

  it("does not dispose a value that is made again", () => {
    const x = remake("test-again", () => tf.ones([2]));
    remake("test-again", () => x);
    expect(x.isDisposed).toBe(false);
  });

  it("leaves the old value when make throws", () => {
    const x = remake("test-throws", () => tf.ones([2]));
    expect(() => remake("test-throws", () => { throw new Error("no"); })).toThrow("no");
    expect(x.isDisposed).toBe(false);
  });

  it("disposes every tensor inside objects, arrays and layers", () => {
    const before = tf.memory().numTensors;
    remake("test-layer", () => new MultiHeadAttention({ dModel: 8, numHeads: 2 }, makeRng(0)));
    remake("test-record", () => ({ q: tf.ones([2]), parts: [tf.ones([3]), tf.ones([4])] }));
    expect(tf.memory().numTensors - before).toBe(5 + 3);
    remake("test-layer", () => tf.scalar(1));
    remake("test-record", () => tf.scalar(2));
    expect(tf.memory().numTensors - before).toBe(2);
  });
});
