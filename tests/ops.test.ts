// linear and batchMatMul must match tf.matMul (values and gradients) on both backends, keep
// every product in the form the wasm backend runs fast, and leave no tensors behind.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { BackendName, initBackend } from "../lib/fast/backend";
import { answerCrossEntropy, batchMatMul, embed, layerNorm, linear } from "../lib/fast/ops";
import { expectAllClose, take, tensorsLeftBy } from "./helpers";

type Fn = (...inputs: tf.Tensor[]) => tf.Tensor;

let seed = 1;
function random(shape: number[]): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, "float32", seed++);
}

/**
 * Same values and same gradients (of sum(f * r), r random) for every input. The tolerance allows
 * for float32 sums over up to 1024 terms taken in a different order.
 */
function expectSameAsReference(ours: Fn, reference: Fn, inputs: tf.Tensor[], tolerance = 1e-4): void {
  const expected = tf.tidy(() => reference(...inputs));
  const actual = ours(...inputs);
  expect(actual.shape).toEqual(expected.shape);
  const weights = random(expected.shape);
  expectAllClose(take(actual), take(expected), tolerance);
  const lossOf = (f: Fn) => (...xs: tf.Tensor[]) => f(...xs).mul(weights).sum();
  const ourGrads = tf.grads(lossOf(ours))(inputs);
  const referenceGrads = tf.grads(lossOf(reference))(inputs);
  inputs.forEach((input, i) => {
    expect(ourGrads[i].shape, `gradient ${i} shape`).toEqual(input.shape);
    expectAllClose(take(ourGrads[i]), take(referenceGrads[i]), tolerance);
  });
  weights.dispose();
}

/** linear written with plain tf ops, as the reference. */
function referenceLinear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const [inSize, outSize] = w.shape;
  const y = tf.matMul(x.reshape([-1, inSize]), w); // [N, Out]
  return (b ? y.add(b) : y).reshape([...x.shape.slice(0, -1), outSize]);
}

/** Names and input shapes of the kernels f runs, forward and backward. */
async function kernelsOf(f: () => tf.Tensor[]): Promise<{ name: string; inputShapes: number[][] }[]> {
  const info = await tf.profile(() => {
    tf.dispose(f());
  });
  return info.kernels.map((k) => ({ name: k.name, inputShapes: k.inputShapes }));
}

describe.each(["wasm", "cpu"] as BackendName[])("on the %s backend", (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  it("runs on the backend it asked for", () => {
    expect(tf.getBackend()).toBe(backend);
  });

  describe("linear", () => {
    // [x shape, w shape]: leading dims, both dW branches (In >= Out and In < Out), and
    // 64 * 16 = 1024 rows, which takes the transpose through a 3D view.
    const cases: [number[], number[]][] = [
      [[3, 5, 7], [7, 4]],
      [[2, 6, 5], [5, 9]],
      [[4, 6], [6, 6]],
      [[6], [6, 3]],
      [[64, 16, 8], [8, 3]],
      [[64, 16, 3], [3, 12]],
    ];
    for (const [xShape, wShape] of cases) {
      it(`matches tf.matMul (+ bias) and its gradients for x [${xShape}], w [${wShape}]`, () => {
        const [x, w, b] = [random(xShape), random(wShape), random([wShape[1]])];
        expectSameAsReference((x, w, b) => linear(x, w as tf.Tensor2D, b as tf.Tensor1D), referenceLinear, [x, w, b]);
        expectSameAsReference((x, w) => linear(x, w as tf.Tensor2D), referenceLinear, [x, w]);
        tf.dispose([x, w, b]);
      });
    }

    it("gives the same weight gradients through tf.variableGrads, as training uses it", () => {
      const x = random([8, 5, 6]);
      const weights = random([8, 5, 4]);
      const w = tf.variable(random([6, 4]));
      const b = tf.variable(random([4]));
      const ours = tf.variableGrads(() => linear(x, w as tf.Tensor2D, b as tf.Tensor1D).mul(weights).sum(), [w, b]);
      const reference = tf.variableGrads(() => referenceLinear(x, w, b).mul(weights).sum(), [w, b]);
      expectAllClose(take(ours.value), take(reference.value));
      for (const v of [w, b]) expectAllClose(take(ours.grads[v.name]), take(reference.grads[v.name]));
      tf.dispose([x, weights, w, b]);
    });

    it("keeps its gradient when an inner tf.tidy has disposed its input", () => {
      const [x, w] = [random([5, 6]), random([6, 4])];
      const inTidy = (x: tf.Tensor, w: tf.Tensor) => tf.tidy(() => linear(x.relu(), w as tf.Tensor2D)); // x.relu() is gone afterwards
      expectSameAsReference(inTidy, (x, w) => referenceLinear(x.relu(), w), [x, w]);
      tf.dispose([x, w]);
    });

    it("runs only plain 2D products [M, K] x [K, N], forward and backward", async () => {
      const [x, w, b] = [random([4, 7, 5]), random([5, 3]), random([3])];
      const kernels = await kernelsOf(() => tf.grads((x, w, b) => linear(x, w as tf.Tensor2D, b as tf.Tensor1D).sum())([x, w, b]));
      const products = kernels.filter((k) => k.name === "BatchMatMul" || k.name === "_FusedMatMul");
      expect(products.length).toBeGreaterThanOrEqual(4); // forward, dx, dw, db
      // Operands arrive as [M, K] or as [1, M, K]. With 28 rows, In = 5 and Out = 3, a product
      // with a transpose flag would not chain [M, K] x [K, N].
      const matrix = (shape: number[]) => (shape.length === 3 && shape[0] === 1 ? shape.slice(1) : shape);
      const isPlain2D = (shapes: number[][]) => {
        const [a, b] = shapes.slice(0, 2).map(matrix);
        return a.length === 2 && b.length === 2 && a[1] === b[0];
      };
      for (const { inputShapes } of products) expect(isPlain2D(inputShapes), `product of [${inputShapes[0]}] and [${inputShapes[1]}]`).toBe(true);
      tf.dispose([x, w, b]);
    });

    it("leaves no tensors behind, forward or backward", () => {
      const [x, w, b] = [random([3, 4, 5]), random([5, 6]), random([6])];
      expect(tensorsLeftBy(() => linear(x, w as tf.Tensor2D, b as tf.Tensor1D).dispose())).toBe(0);
      const grads = tf.grads((x, w, b) => linear(x, w as tf.Tensor2D, b as tf.Tensor1D).sum());
      expect(tensorsLeftBy(() => tf.dispose(grads([x, w, b])))).toBe(0);
      tf.dispose([x, w, b]);
    });

    it("names the shapes when they do not fit", () => {
      const [x, w, b] = [tf.zeros([2, 5]), tf.zeros([4, 3]), tf.zeros([5])];
      expect(() => linear(x, w as tf.Tensor2D)).toThrow(/x \[2,5\] must end in 4 to match w \[4,3\]/);
      expect(() => linear(tf.zeros([2, 4]), w as tf.Tensor2D, b as tf.Tensor1D)).toThrow(/b \[5\] must have shape \[3\]/);
      tf.dispose([x, w, b]);
    });
  });

  describe("batchMatMul", () => {
    // [a shape, b shape, transposeB]. Most have at least 2^16 multiply-adds, so on wasm they take
    // the depthwise-convolution route; the last one is small and goes straight to tf.matMul.
    const cases: [number[], number[], boolean][] = [
      [[10, 10, 7, 9], [10, 10, 9, 11], false],
      [[10, 10, 7, 9], [10, 10, 11, 9], true],
      [[256, 1, 16], [256, 16, 16], false], // M = 1
      [[256, 16, 16], [256, 1, 16], true], // N = 1 (scores of a single key)
      [[64, 32, 1], [64, 1, 32], false], // K = 1
      [[1, 4, 128, 16], [1, 4, 128, 16], true], // long context
      [[1, 4, 128, 128], [1, 4, 128, 16], false],
      [[2, 3, 4, 5], [2, 3, 6, 5], true],
    ];
    for (const [aShape, bShape, transposeB] of cases) {
      it(`matches tf.matMul and its gradients for [${aShape}] x [${bShape}]${transposeB ? " transposed" : ""}`, () => {
        const [a, b] = [random(aShape), random(bShape)];
        expectSameAsReference((a, b) => batchMatMul(a, b, transposeB), (a, b) => tf.matMul(a, b, false, transposeB), [a, b]);
        tf.dispose([a, b]);
      });
    }

    it(`runs no batched matMul on wasm for attention-sized products, forward and backward`, async () => {
      const [q, k] = [random([8, 4, 16, 16]), random([8, 4, 16, 16])];
      const names = (await kernelsOf(() => tf.grads((q, k) => batchMatMul(q, k, true).sum())([q, k]))).map((k) => k.name);
      if (backend === "wasm") {
        expect(names).not.toContain("BatchMatMul");
        expect(names.filter((n) => n === "DepthwiseConv2dNative")).toHaveLength(3);
      } else {
        expect(names).toContain("BatchMatMul");
      }
      tf.dispose([q, k]);
    });

    it("leaves no tensors behind, forward or backward", () => {
      const [a, b] = [random([8, 4, 16, 16]), random([8, 4, 16, 16])];
      expect(tensorsLeftBy(() => batchMatMul(a, b, true).dispose())).toBe(0);
      const grads = tf.grads((a, b) => batchMatMul(a, b).sum());
      expect(tensorsLeftBy(() => tf.dispose(grads([a, b])))).toBe(0);
      tf.dispose([a, b]);
    });

    it("names the shapes when they do not fit", () => {
      const [a, b, c] = [tf.zeros([2, 3, 4]), tf.zeros([2, 5, 6]), tf.zeros([3, 4, 6])];
      expect(() => batchMatMul(a, b)).toThrow(/a \[2,3,4\] and b \[2,5,6\] do not fit a \[\.\.\., M, K\] x b \[\.\.\., K, N\]/);
      expect(() => batchMatMul(a, c)).toThrow(/a \[2,3,4\] and b \[3,4,6\]/); // leading dims differ
      expect(() => batchMatMul(a, b, true)).toThrow(/b \[\.\.\., N, K\]/);
      tf.dispose([a, b, c]);
    });
  });
});

describe.each(["wasm", "cpu"] as BackendName[])("layerNorm on the %s backend", (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  /** The norm written step by step with tf.moments, as lib/block's LayerNorm does. */
  const referenceNorm = (x: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return x.sub(mean).mul(tf.rsqrt(variance.add(1e-5))).mul(gain).add(bias);
  };

  // 64 * 16 rows takes the column sums through the 3D transpose view.
  for (const shape of [[3, 5, 8], [7, 6], [64, 16, 4]]) {
    it(`matches the step-by-step norm and its gradients for x [${shape}]`, () => {
      const D = shape[shape.length - 1];
      const [x, gain, bias] = [random(shape).mul(3).add(1), random([D]), random([D])];
      expectSameAsReference((x, g, b) => layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D), referenceNorm, [x, gain, bias]);
      tf.dispose([x, gain, bias]);
    });
  }

  it("leaves no tensors behind, forward or backward", () => {
    const [x, gain, bias] = [random([4, 3, 8]), random([8]), random([8])];
    const norm = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D);
    expect(tensorsLeftBy(() => norm(x, gain, bias).dispose())).toBe(0);
    const grads = tf.grads((x, g, b) => norm(x, g, b).sum());
    expect(tensorsLeftBy(() => tf.dispose(grads([x, gain, bias])))).toBe(0);
    tf.dispose([x, gain, bias]);
  });

  it("names gain and bias shapes that do not match x", () => {
    const [x, good, bad] = [tf.zeros([2, 8]), tf.zeros([8]), tf.zeros([7])];
    expect(() => layerNorm(x, bad as tf.Tensor1D, good as tf.Tensor1D)).toThrow(/gain \[7\] and bias \[8\] must both have shape \[8\] to match x \[2,8\]/);
    expect(() => layerNorm(x, good as tf.Tensor1D, bad as tf.Tensor1D)).toThrow(/bias \[7\]/);
    tf.dispose([x, good, bad]);
  });
});

describe("tf.clone on wasm (the copy tfjs keeps of every tensor a gradient needs)", () => {
  beforeAll(async () => {
    await initBackend("wasm");
  });

  it("shares the data instead of copying it, and each tensor outlives the other's disposal", () => {
    const x = tf.tensor1d([1, 2, 3]);
    const buffers = tf.memory().numDataBuffers;
    const copy = x.clone();
    expect(tf.memory().numDataBuffers).toBe(buffers); // a second tensor, no second buffer
    x.dispose();
    expect(Array.from(copy.dataSync())).toEqual([1, 2, 3]);
    const again = copy.clone();
    copy.dispose();
    expect(Array.from(again.dataSync())).toEqual([1, 2, 3]);
    again.dispose();
  });
});

describe("embed and answerCrossEntropy (the model's first and last steps)", () => {
  beforeAll(async () => {
    await initBackend("wasm");
  });
  const ids = [[0, 3, 5, 2], [4, 4, 1, 0], [5, 0, 0, 3]]; // B 3, T 4, V 6

  it("embed equals the one-hot product plus the position rows, in values and gradients", () => {
    const [tokens, positions] = [random([6, 5]), random([7, 5])];
    const reference = (t: tf.Tensor, p: tf.Tensor) => tf.matMul(tf.oneHot(tf.tensor2d(ids, undefined, "int32"), 6).toFloat().reshape([12, 6]), t).reshape([3, 4, 5]).add(p.slice([0, 0], [4, 5]));
    expectSameAsReference((t, p) => embed(ids, t as tf.Tensor2D, p as tf.Tensor2D), reference, [tokens, positions], 1e-6);
    expect(tensorsLeftBy(() => tf.grads((t: tf.Tensor, p: tf.Tensor) => embed(ids, t as tf.Tensor2D, p as tf.Tensor2D).sum())([tokens, positions]).forEach((g) => g.dispose()))).toBe(0);
    expect(() => embed([[9]], tokens as tf.Tensor2D, positions as tf.Tensor2D)).toThrow(/token id 9 is outside the vocabulary 0\.\.5/);
    tf.dispose([tokens, positions]);
  });

  it("answerCrossEntropy equals the masked cross-entropy written with plain tf ops, in value and gradient", () => {
    const logits = random([3, 4, 6]);
    const mask = [[0, 1, 1, 0], [0, 0, 1, 1], [1, 1, 1, 1]];
    const reference = (l: tf.Tensor) => {
      const nll = tf.logSoftmax(l).mul(tf.oneHot(tf.tensor2d(ids, undefined, "int32"), 6).toFloat()).sum(-1).neg(); // [B, T]
      return nll.mul(tf.tensor2d(mask)).sum().div(7);
    };
    expectSameAsReference((l) => answerCrossEntropy(l as tf.Tensor3D, ids, mask, 7), reference, [logits], 1e-5);
    logits.dispose();
  });
});
