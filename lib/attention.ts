// Scaled dot-product attention: every query scores every key, softmax turns scores into
// weights, and the output is the weighted sum of the values.
import * as tf from "@tensorflow/tfjs";
import { batchMatMul } from "./fast/ops";

export interface AttentionResult {
  output: tf.Tensor; // [..., T, Dv]
  weights: tf.Tensor; // [..., T, S] each row sums to 1
}

/** [T, T]: 1 where query t may look at key s (s <= t), 0 above the diagonal (the future). */
export function causalMask(T: number): tf.Tensor2D {
  if (!Number.isInteger(T) || T < 1) throw new Error(`causalMask: T must be a positive whole number, got ${T}.`);
  const values = new Float32Array(T * T).map((_, i) => (i % T <= Math.floor(i / T) ? 1 : 0)); // row t, column s: 1 when s <= t
  return tf.tensor2d(values, [T, T]); // [T, T]
}

/** [T, T]: 1 on the diagonal only: each query may look at its own key and nothing else. */
export function selfOnlyMask(T: number): tf.Tensor2D {
  if (!Number.isInteger(T) || T < 1) throw new Error(`selfOnlyMask: T must be a positive whole number, got ${T}.`);
  const values = new Float32Array(T * T).map((_, i) => (i % T === Math.floor(i / T) ? 1 : 0)); // 1 on the diagonal
  return tf.tensor2d(values, [T, T]); // [T, T]
}

/**
 * softmax(q k^T / sqrt(Dk)) v. q [..., T, Dk], k [..., S, Dk], v [..., S, Dv];
 * mask [T, S] (1 = may attend, 0 = may not) is broadcast over the leading dimensions.
 */
export function scaledDotProductAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, mask?: tf.Tensor): AttentionResult {
  const dk = q.shape[q.rank - 1];
  if (k.shape[k.rank - 1] !== dk) {
    throw new Error(`Query width ${dk} and key width ${k.shape[k.rank - 1]} differ; they must be equal.`);
  }
  return tf.tidy(() => {
    const scores = batchMatMul(q, k, true).div(Math.sqrt(dk)); // [..., T, S]
    const masked = mask ? scores.add(tf.scalar(1).sub(mask).mul(-1e9)) : scores; // [..., T, S]
    const weights = tf.softmax(masked); // [..., T, S]
    const output = batchMatMul(weights, v); // [..., T, Dv]
    return { output, weights };
  });
}
