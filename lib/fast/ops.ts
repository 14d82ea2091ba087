// The fast path of lib's layers: matrix products, layer norm, embeddings and the loss, with
// hand-written gradients. Notebooks teach with plain tf ops; tests check that these give the same
// values and gradients. On the wasm backend only a 2D product without transpose flags runs on
// XNNPACK's fast kernels, so:
// - linear(): every product, forward and backward, is 2D without flags; transposes are explicit.
// - batchMatMul(): on wasm, each [M, K] x [K, N] product of the batch becomes one channel of a
//   depthwise convolution, which XNNPACK also runs fast (small products stay tf.matMul).
// - layerNorm(), embed(), answerCrossEntropy(): gradients written out, in a handful of kernels.
import * as tf from "@tensorflow/tfjs";

/** x [..., In] times w [In, Out] (+ b [Out]) -> [..., Out]. */
export function linear(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
  if (w.rank !== 2) throw new Error(`linear: w must be a matrix [In, Out], got shape [${w.shape}].`);
  const [inSize, outSize] = w.shape;
  if (x.shape[x.rank - 1] !== inSize) {
    throw new Error(`linear: x [${x.shape}] must end in ${inSize} to match w [${w.shape}].`);
  }
  if (b && (b.rank !== 1 || b.shape[0] !== outSize)) {
    throw new Error(`linear: b [${b.shape}] must have shape [${outSize}] to match w [${w.shape}].`);
  }
  return b ? linearWithBias(x, w, b) : linearNoBias(x, w);
}

/**
 * tf.customGrad with real parameter types: `f(...inputs, save)` returns the value and its gradient
 * function. (tf.customGrad types its callback's inputs loosely and does not export that type.)
 */
function customGrad<Inputs extends tf.Tensor[], Out extends tf.Tensor>(
  f: (...args: [...Inputs, tf.GradSaveFunc]) => { value: Out; gradFunc: (dy: Out, saved: tf.Tensor[]) => tf.Tensor[] },
): (...inputs: Inputs) => Out {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...inputs: Inputs) => Out;
}

/** x [..., In] -> rows [N, In], N = all leading dims. */
const rowsOf = (x: tf.Tensor) => x.reshape([-1, x.shape[x.rank - 1]]) as tf.Tensor2D;

// In linear's two versions below, the reshapes happen inside tf.customGrad, where tfjs does not
// record them for the backward pass: a taped reshape costs a saved copy and a reshape back.

/** x [..., In] @ w [In, Out] -> [..., Out]. */
const linearNoBias = customGrad((x: tf.Tensor, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(rowsOf(x), w).reshape([...x.shape.slice(0, -1), w.shape[1]]), // [..., Out]
    gradFunc: (dy: tf.Tensor, [x, w]: tf.Tensor[]) => {
      const [dx, dw] = matMulGrads(rowsOf(x), w as tf.Tensor2D, rowsOf(dy), false); // [N, In], [In, Out]
      return [dx.reshape(x.shape), dw];
    },
  };
});

/** x [..., In] @ w [In, Out] + b [Out] -> [..., Out]; XNNPACK adds the bias inside the product. */
const linearWithBias = customGrad((x: tf.Tensor, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.fused.matMul({ a: rowsOf(x), b: w, bias: b }).reshape([...x.shape.slice(0, -1), w.shape[1]]), // [..., Out]
    gradFunc: (dy: tf.Tensor, [x, w]: tf.Tensor[]) => {
      const [dx, dw, db] = matMulGrads(rowsOf(x), w as tf.Tensor2D, rowsOf(dy), true); // [N, In], [In, Out], [Out]
      return [dx.reshape(x.shape), dw, db];
    },
  };
});

/**
 * Layer norm over the last axis of x [..., D]: (x - mean) / sqrt(variance + epsilon) * gain + bias,
 * the same values as lib/block's LayerNorm. Its gradient is written out below: the one tfjs derives
 * through tf.moments takes many more small kernels, and builds a ones tensor the size of x in JS
 * for each mean.
 */
export function layerNorm(x: tf.Tensor, gain: tf.Tensor1D, bias: tf.Tensor1D, epsilon = 1e-5): tf.Tensor {
  const D = x.shape[x.rank - 1];
  if (gain.rank !== 1 || gain.shape[0] !== D || bias.rank !== 1 || bias.shape[0] !== D) {
    throw new Error(`layerNorm: gain [${gain.shape}] and bias [${bias.shape}] must both have shape [${D}] to match x [${x.shape}].`);
  }
  const normalise = customGrad((x: tf.Tensor, gain: tf.Tensor1D, bias: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const rows = rowsOf(x); // [N, D]
    const centred = rows.sub(rows.mean(1, true)); // [N, D]
    const inverseStd = tf.rsqrt(centred.square().mean(1, true).add(epsilon)); // [N, 1]
    const normalised = centred.mul(inverseStd); // [N, D]
    save([normalised, inverseStd, gain]);
    return {
      value: normalised.mul(gain).add(bias).reshape(x.shape), // [..., D]
      gradFunc: (dy: tf.Tensor, [normalised, inverseStd, gain]: tf.Tensor[]) => {
        const dyRows = rowsOf(dy); // [N, D]
        const dNormalised = dyRows.mul(gain); // [N, D]
        // Through (x - mean) * inverseStd: remove from each row what moves its mean and its variance.
        const dx = dNormalised
          .sub(dNormalised.mean(1, true))
          .sub(normalised.mul(dNormalised.mul(normalised).mean(1, true)))
          .mul(inverseStd); // [N, D]
        return [dx.reshape(dy.shape), columnSums(dyRows.mul(normalised) as tf.Tensor2D), columnSums(dyRows)]; // [..., D], [D], [D]
      },
    };
  });
  return normalise(x, gain, bias);
}

/** m [N, D] -> [D], the sum of its rows: m^T @ ones is the fastest way on wasm (m.sum(0) transposes, slowly for tall m). */
function columnSums(m: tf.Tensor2D): tf.Tensor1D {
  return tf.matMul(transposeTall(m), tf.ones([m.shape[0], 1])).reshape([-1]); // [D]
}

/**
 * Gradients of x [N, In] @ w [In, Out] (+ b) given dy [N, Out]: [dx, dw] or [dx, dw, db].
 * dw = x^T dy multiplies two tall [N, *] matrices: one must be transposed explicitly, and
 * XNNPACK repacks the right-hand one (which costs more per value than a transpose), so the
 * wider of x and dy is transposed and the narrower one packed.
 */
function matMulGrads(x: tf.Tensor2D, w: tf.Tensor2D, dy: tf.Tensor2D, withBias: boolean): tf.Tensor[] {
  const n = x.shape[0];
  const dx = tf.matMul(dy, w.transpose()); // [N, In]
  if (x.shape[1] >= dy.shape[1]) {
    const dw = tf.matMul(transposeTall(x), dy); // [In, Out]
    // ones @ dy reuses the packed dy: XNNPACK caches it by tensor (dy.sum(0) is much slower).
    return withBias ? [dx, dw, tf.matMul(tf.ones([1, n]), dy).reshape([-1])] : [dx, dw];
  }
  const dyT = transposeTall(dy); // [Out, N]
  const dw = tf.matMul(dyT, x).transpose(); // [In, Out]
  return withBias ? [dx, dw, tf.matMul(dyT, tf.ones([n, 1])).reshape([-1])] : [dx, dw];
}

/**
 * m [R, C] -> [C, R]. tfjs-wasm's 2D transpose writes the output R floats apart; when R is a
 * multiple of 512 (as B * T often is) those writes collide in the cache and it runs much
 * slower. The 3D kernel, used through a [R/16, 16, C] view, reads strided and writes in order.
 */
function transposeTall(m: tf.Tensor2D): tf.Tensor2D {
  const [rows, cols] = m.shape;
  if (rows % 512 !== 0) return m.transpose();
  return m.reshape([rows / 16, 16, cols]).transpose([2, 0, 1]).reshape([cols, rows]);
}

const DEPTHWISE_MIN_MULTIPLY_ADDS = 2 ** 16; // below this, batchMatMul uses tf.matMul (see there)

/**
 * Batched a [..., M, K] times b [..., K, N], or b [..., N, K] with transposeB -> [..., M, N].
 * The leading dimensions of a and b must be equal (no broadcasting).
 */
export function batchMatMul(a: tf.Tensor, b: tf.Tensor, transposeB = false): tf.Tensor {
  const sameLead = a.rank === b.rank && a.shape.slice(0, -2).every((size, i) => size === b.shape[i]);
  const [M, K] = a.shape.slice(-2);
  const [bK, N] = transposeB ? b.shape.slice(-2).reverse() : b.shape.slice(-2);
  if (a.rank < 2 || !sameLead || K !== bK) {
    const bLayout = transposeB ? "[..., N, K]" : "[..., K, N]";
    throw new Error(`batchMatMul: a [${a.shape}] and b [${b.shape}] do not fit a [..., M, K] x b ${bLayout} with equal leading dimensions.`);
  }
  // The convolution route pays only on wasm (the cpu backend's depthwise convolution is slower
  // than its matMul), and only for enough work: its transposes and set-up cost about what they
  // save near DEPTHWISE_MIN_MULTIPLY_ADDS.
  if (tf.getBackend() !== "wasm" || a.size * N < DEPTHWISE_MIN_MULTIPLY_ADDS) return tf.matMul(a, b, false, transposeB);
  return tf.tidy(() => {
    const a3 = a.reshape([-1, M, K]) as tf.Tensor3D; // [C, M, K], C = all leading dims
    const b3 = b.reshape([-1, ...b.shape.slice(-2)]) as tf.Tensor3D; // [C, K, N] or [C, N, K]
    const product = customGrad((a3: tf.Tensor3D, b3: tf.Tensor3D, save: tf.GradSaveFunc) => {
      save([a3, b3]);
      return {
        value: channelProducts(a3, b3, false, transposeB), // [C, M, N]
        // As tf.matMul's gradient: c = a b gives da = dc b^T, db = a^T dc; c = a b^T gives da = dc b, db = dc^T a.
        gradFunc: (dc: tf.Tensor3D, [a3, b3]: tf.Tensor[]) =>
          transposeB
            ? [channelProducts(dc, b3 as tf.Tensor3D, false, false), channelProducts(dc, a3 as tf.Tensor3D, true, false)]
            : [channelProducts(dc, b3 as tf.Tensor3D, false, true), channelProducts(a3 as tf.Tensor3D, dc, true, false)],
      };
    });
    return product(a3, b3).reshape([...a.shape.slice(0, -2), M, N]); // [..., M, N]
  });
}

/**
 * For every c: a[c] @ b[c] -> [C, M, N], with a [C, M, K] (or [C, K, M] if transposeA) and
 * b [C, K, N] (or [C, N, K] if transposeB). The C matrices become the channels of one image of
 * M rows by K columns; a depthwise 1 x K filter with N outputs per channel then produces, at
 * row m, channel c, output n: sum over k of a[c][m][k] * b[c][k][n].
 */
function channelProducts(a: tf.Tensor3D, b: tf.Tensor3D, transposeA: boolean, transposeB: boolean): tf.Tensor3D {
  const image = a.transpose(transposeA ? [2, 1, 0] : [1, 2, 0]) as tf.Tensor3D; // [M, K, C]
  const filter = b.transpose(transposeB ? [2, 0, 1] : [1, 0, 2]) as tf.Tensor3D; // [K, C, N]
  const [M, K, C] = image.shape;
  const N = filter.shape[2];
  const pixels = image.reshape([1, M, K, C]) as tf.Tensor4D; // one image, M x K pixels, C channels
  const filters = filter.reshape([1, K, C, N]) as tf.Tensor4D; // per channel a 1 x K filter, N outputs
  const out = tf.depthwiseConv2d(pixels, filters, 1, "valid"); // [1, M, 1, C * N]
  return out.reshape([M, C, N]).transpose([1, 0, 2]); // [C, M, N]
}

/**
 * tokenTable[ids] + positionTable[0..T-1], ids [B, T] -> [B, T, D]: lib/model's embeddings, the same
 * values as one-hot rows times the tables. Forward is one gather and one add; the
 * gradients are two plain products, dTokens = onehot(ids)^T dy and dPositions = onehot(t)^T dy, with
 * the one-hot matrices written in JS (the gradient of tf.gather is not available on wasm).
 */
export function embed(ids: number[][], tokenTable: tf.Tensor2D, positionTable: tf.Tensor2D): tf.Tensor3D {
  const [B, T] = [ids.length, ids[0].length];
  const [[V, D], [P, D2]] = [tokenTable.shape, positionTable.shape];
  if (D !== D2 || T > P) throw new Error(`embed: tables [${tokenTable.shape}] and [${positionTable.shape}] do not fit ${T} tokens of width ${D}.`);
  const flat = Int32Array.from(ids.flat());
  const bad = flat.findIndex((id) => !(id >= 0 && id < V));
  if (bad >= 0) throw new Error(`embed: token id ${flat[bad]} is outside the vocabulary 0..${V - 1}.`);
  const embedding = customGrad((tokenTable: tf.Tensor2D, positionTable: tf.Tensor2D, _save: tf.GradSaveFunc) => {
    const tokens = tf.gather(tokenTable, tf.tensor1d(flat, "int32")).reshape([B, T, D]); // [B, T, D]
    return {
      value: tokens.add(positionTable.slice([0, 0], [T, D])) as tf.Tensor3D, // [B, T, D]
      gradFunc: (dy: tf.Tensor3D) => {
        const rows = dy.reshape([B * T, D]); // [N, D]
        const tokenOneHot = new Float32Array(V * B * T); // [V, N]: 1 where row n holds token v
        const positionOneHot = new Float32Array(P * B * T); // [P, N]: 1 where row n sits at position p
        flat.forEach((id, n) => {
          tokenOneHot[id * B * T + n] = 1;
          positionOneHot[(n % T) * B * T + n] = 1;
        });
        return [tf.matMul(tf.tensor2d(tokenOneHot, [V, B * T]), rows), tf.matMul(tf.tensor2d(positionOneHot, [P, B * T]), rows)]; // [V, D], [P, D]
      },
    };
  });
  return embedding(tokenTable, positionTable);
}

/**
 * The sum over answer positions (lossMask 1) of -log softmax(logits)[target], divided by `divisor`:
 * lib/train's masked cross-entropy, with its gradient written out,
 * d/dlogits = (softmax(logits) * rowWeight - targetWeight) / divisor, where the target weights
 * (mask at the target token) are built in JS.
 */
export function answerCrossEntropy(logits: tf.Tensor3D, targets: number[][], lossMask: number[][], divisor: number): tf.Scalar {
  const [B, T, V] = logits.shape;
  const weights = new Float32Array(B * T * V); // [N, V]: -mask / divisor at each row's target
  const rowWeights = new Float32Array(B * T); // [N]: mask / divisor
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const n = b * T + t;
      rowWeights[n] = lossMask[b][t] / divisor;
      weights[n * V + targets[b][t]] = -rowWeights[n];
    }
  }
  const loss = customGrad((logits: tf.Tensor3D, save: tf.GradSaveFunc) => {
    const logProbs = tf.logSoftmax(logits.reshape([B * T, V])); // [N, V]
    const targetWeights = tf.tensor2d(weights, [B * T, V]); // [N, V]
    save([logProbs, targetWeights]);
    return {
      value: tf.sum(logProbs.mul(targetWeights)) as tf.Scalar, // []
      gradFunc: (dy: tf.Scalar, [logProbs, targetWeights]: tf.Tensor[]) => {
        const probs = tf.exp(logProbs).mul(tf.tensor2d(rowWeights, [B * T, 1])); // [N, V]
        return [probs.add(targetWeights).mul(dy).reshape([B, T, V])]; // [B, T, V]
      },
    };
  });
  return loss(logits);
}
