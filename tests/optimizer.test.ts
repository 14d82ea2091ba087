import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { Adam, Schedule, learningRateAt } from "../lib/optimizer";
import { expectAllClose, take, tensorsLeftBy, useBackend } from "./helpers";

useBackend();

describe("Adam", () => {
  const start = [1, -2, 0.5, 3, 0];
  const grad = [0.5, -2, 1e-3, -7, 0];

  it("moves each weight by about lr * sign(grad) on its first step", () => {
    const w = tf.variable(tf.tensor1d(start));
    const adam = new Adam({ w });
    const g = tf.tensor1d(grad);
    adam.apply({ w: g }, 0.01);
    const expected = start.map((x, i) => x - 0.01 * Math.sign(grad[i]));
    expectAllClose(take(w), expected, 1e-6);
    expect(adam.step).toBe(1);
    g.dispose();
  });

  it("matches two steps of Adam computed in plain JS, including m and v", () => {
    const [beta1, beta2, epsilon, lr] = [0.8, 0.95, 1e-6, 0.1];
    const grads = [[0.3, -1, 2, 0.01, -0.5], [-0.2, -1, 1, 0.5, 0.5]];
    const w = tf.variable(tf.tensor1d(start));
    const adam = new Adam({ w }, { beta1, beta2, epsilon });
    let [weights, m, v] = [start.slice(), start.map(() => 0), start.map(() => 0)];
    grads.forEach((g, step) => {
      m = m.map((mi, i) => beta1 * mi + (1 - beta1) * g[i]);
      v = v.map((vi, i) => beta2 * vi + (1 - beta2) * g[i] ** 2);
      const mHat = m.map((mi) => mi / (1 - beta1 ** (step + 1)));
      const vHat = v.map((vi) => vi / (1 - beta2 ** (step + 1)));
      weights = weights.map((x, i) => x - (lr * mHat[i]) / (Math.sqrt(vHat[i]) + epsilon));
      const gTensor = tf.tensor1d(g);
      adam.apply({ w: gTensor }, lr);
      gTensor.dispose();
    });
    expectAllClose(w.dataSync(), weights, 1e-5);
    expectAllClose(adam.state().m.w, m, 1e-6);
    expectAllClose(adam.state().v.w, v, 1e-6);
    expect(adam.step).toBe(2);
    w.dispose();
  });

  it("names a weight that has no gradient", () => {
    const a = tf.variable(tf.zeros([2]));
    const b = tf.variable(tf.zeros([3]));
    const adam = new Adam({ first: a, second: b });
    const g = tf.ones([2]);
    expect(() => adam.apply({ first: g }, 0.1)).toThrow(/"second"/);
    tf.dispose([a, b, g]);
  });

  it("keeps no tensors behind from an update", () => {
    const w = tf.variable(tf.ones([4, 3]));
    const adam = new Adam({ w });
    const g = tf.fill([4, 3], 0.5);
    adam.apply({ w: g }, 0.1); // warm-up
    expect(tensorsLeftBy(() => adam.apply({ w: g }, 0.1))).toBe(0);
    tf.dispose([w, g]);
  });

  it("with weightDecay, shrinks matrices by lr * weightDecay each step and leaves vectors alone", () => {
    const [matrix, vector] = [tf.variable(tf.fill([2, 2], 2)), tf.variable(tf.fill([3], 2))];
    const adam = new Adam({ matrix, vector }, { weightDecay: 0.5 });
    const [gm, gv] = [tf.zeros([2, 2]), tf.zeros([3])]; // no gradient: only the decay moves the weights
    adam.apply({ matrix: gm, vector: gv }, 0.1);
    expectAllClose(matrix.dataSync(), [1.9, 1.9, 1.9, 1.9], 1e-6);
    expectAllClose(vector.dataSync(), [2, 2, 2], 1e-6);
    tf.dispose([matrix, vector, gm, gv]);
  });

  it("names a gradient whose shape differs from its weight, and updates nothing", () => {
    const [a, b] = [tf.variable(tf.ones([2, 3])), tf.variable(tf.ones([3]))];
    const adam = new Adam({ a, b });
    const [ga, gb] = [tf.ones([2, 3]), tf.ones([4])];
    expect(() => adam.apply({ a: ga, b: gb }, 0.1)).toThrow(/"b".*\[4\].*\[3\]/);
    expect(adam.step).toBe(0);
    expect(Array.from(a.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
    tf.dispose([a, b, ga, gb]);
  });

  it("holds its state in plain arrays: creating one leaves no tensors", () => {
    const w = tf.variable(tf.ones([4]));
    expect(tensorsLeftBy(() => new Adam({ w }))).toBe(0);
    w.dispose();
  });

  it("state() is a copy, and loadState() continues exactly where the saved Adam was", () => {
    const w = tf.variable(tf.tensor1d(start));
    const adam = new Adam({ w });
    const [g1, g2] = [tf.tensor1d(grad), tf.tensor1d(grad.map((x) => 0.5 - x))];
    adam.apply({ w: g1 }, 0.01);
    const [saved, afterOne] = [adam.state(), Array.from(w.dataSync())];
    adam.apply({ w: g2 }, 0.01);
    expect(saved.step).toBe(1);
    expect(Array.from(saved.m.w)).not.toEqual(Array.from(adam.state().m.w)); // the copy did not move on

    const w2 = tf.variable(tf.tensor1d(afterOne));
    const restarted = new Adam({ w: w2 });
    restarted.loadState(saved);
    restarted.apply({ w: g2 }, 0.01);
    expect(restarted.step).toBe(2);
    expect(Array.from(w2.dataSync())).toEqual(Array.from(w.dataSync()));
    expect(() => restarted.loadState({ ...saved, m: {} })).toThrow(/no m for weight "w"/);
    expect(() => restarted.loadState({ ...saved, v: { w: new Float32Array(2) } })).toThrow(/v for "w" holds 2 numbers.*5/);
    tf.dispose([w, w2, g1, g2]);
  });

  it("takes gradients as Float32Arrays as well as tensors, with the same result", () => {
    const [a, b] = [tf.variable(tf.tensor1d(start)), tf.variable(tf.tensor1d(start))];
    const g = tf.tensor1d(grad);
    new Adam({ a }).apply({ a: g }, 0.01);
    new Adam({ b }).apply({ b: Float32Array.from(grad) }, 0.01);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([a, b, g]);
  });
});

describe("learningRateAt", () => {
  const schedule: Schedule = { peak: 1e-3, warmupSteps: 10, totalSteps: 110, floor: 1e-5 };

  it("warms up linearly from peak / warmup to the peak", () => {
    expect(learningRateAt(0, schedule)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(4, schedule)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(9, schedule)).toBeCloseTo(1e-3, 12);
    for (let s = 1; s < 10; s++) expect(learningRateAt(s, schedule)).toBeGreaterThan(learningRateAt(s - 1, schedule));
  });

  it("decays by a cosine from the peak to the floor, then stays there", () => {
    expect(learningRateAt(10, schedule)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(60, schedule)).toBeCloseTo((1e-3 + 1e-5) / 2, 12); // halfway: cos(pi/2) = 0
    expect(learningRateAt(35, schedule)).toBeCloseTo(1e-5 + (1e-3 - 1e-5) * (1 + Math.SQRT1_2) / 2, 12); // a quarter: cos(pi/4)
    expect(learningRateAt(110, schedule)).toBeCloseTo(1e-5, 12);
    expect(learningRateAt(500, schedule)).toBeCloseTo(1e-5, 12);
    for (let s = 11; s <= 110; s++) expect(learningRateAt(s, schedule)).toBeLessThan(learningRateAt(s - 1, schedule));
  });

  it("starts at the peak without warm-up", () => {
    expect(learningRateAt(0, { ...schedule, warmupSteps: 0 })).toBeCloseTo(1e-3, 12);
  });
});
