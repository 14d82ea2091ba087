// Matrix products used by lib's layers. Notebooks teach with plain tf ops; lib routes through here.
import * as tf from "@tensorflow/tfjs";

/** x [..., In] times w [In, Out] (+ b [Out]) -> [..., Out]. */
export function linear(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
  return tf.tidy(() => {
    const [inSize, outSize] = w.shape;
    const lead = x.shape.slice(0, -1);
    const flat = x.reshape([-1, inSize]); // [N, In]
    const y = tf.matMul(flat, w); // [N, Out]
    const withBias = b ? y.add(b) : y; // [N, Out]
    return withBias.reshape([...lead, outSize]); // [..., Out]
  });
}

/** Batched a [..., M, K] times b [..., K, N] (or b [..., N, K] with transposeB) -> [..., M, N]. */
export function batchMatMul(a: tf.Tensor, b: tf.Tensor, transposeB = false): tf.Tensor {
  return tf.matMul(a, b, false, transposeB);
}
