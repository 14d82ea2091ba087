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
    adam.dispose();
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
    expectAllClose(adam.m.w.dataSync(), m, 1e-6);
    expectAllClose(adam.v.w.dataSync(), v, 1e-6);
    expect(adam.step).toBe(2);
    adam.dispose();
    w.dispose();
  });

  it("names a weight that has no gradient", () => {
    const a = tf.variable(tf.zeros([2]));
    const b = tf.variable(tf.zeros([3]));
    const adam = new Adam({ first: a, second: b });
    const g = tf.ones([2]);
    expect(() => adam.apply({ first: g }, 0.1)).toThrow(/"second"/);
    tf.dispose([a, b, g]);
    adam.dispose();
  });

  it("keeps no tensors behind from an update", () => {
    const w = tf.variable(tf.ones([4, 3]));
    const adam = new Adam({ w });
    const g = tf.fill([4, 3], 0.5);
    adam.apply({ w: g }, 0.1); // warm-up
    expect(tensorsLeftBy(() => adam.apply({ w: g }, 0.1))).toBe(0);
    tf.dispose([w, g]);
    adam.dispose();
  });

  it("with weightDecay, shrinks matrices by lr * weightDecay each step and leaves vectors alone", () => {
    const [matrix, vector] = [tf.variable(tf.fill([2, 2], 2)), tf.variable(tf.fill([3], 2))];
    const adam = new Adam({ matrix, vector }, { weightDecay: 0.5 });
    const [gm, gv] = [tf.zeros([2, 2]), tf.zeros([3])]; // no gradient: only the decay moves the weights
    adam.apply({ matrix: gm, vector: gv }, 0.1);
    expectAllClose(matrix.dataSync(), [1.9, 1.9, 1.9, 1.9], 1e-6);
    expectAllClose(vector.dataSync(), [2, 2, 2], 1e-6);
    tf.dispose([matrix, vector, gm, gv]);
    adam.dispose();
  });

  it("names a gradient whose shape differs from its weight, and updates nothing", () => {
    const [a, b] = [tf.variable(tf.ones([2, 3])), tf.variable(tf.ones([3]))];
    const adam = new Adam({ a, b });
    const [ga, gb] = [tf.ones([2, 3]), tf.ones([4])];
    expect(() => adam.apply({ a: ga, b: gb }, 0.1)).toThrow(/"b".*\[4\].*\[3\]/);
    expect(adam.step).toBe(0);
    expect(Array.from(a.dataSync())).toEqual([1, 1, 1, 1, 1, 1]);
    tf.dispose([a, b, ga, gb]);
    adam.dispose();
  });

  it("frees its state when disposed", () => {
    // lib/optimizer.ts creates m and v as tf.variable(tf.zerosLike(w), false) outside tf.tidy:
    // the zerosLike tensors are never disposed, two per weight.
    const w = tf.variable(tf.ones([4]));
    expect(tensorsLeftBy(() => new Adam({ w }).dispose())).toBe(0);
    w.dispose();
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
