// Multi-head attention: H smaller attentions side by side, each on its own Dh = D / H slice.
import * as tf from "@tensorflow/tfjs";
import { AttentionResult, scaledDotProductAttention } from "./attention";
import { linear } from "./fast/ops";
import { Rng } from "./random";
import { InitScheme, filledWeight, initialStd, normalWeight } from "./weights";

export interface MultiHeadConfig {
  dModel: number; // D, the width of every token vector
  numHeads: number; // H; must divide D
  init?: InitScheme; // how the weight matrices start (default "fan-in")
}

export function checkHeads({ dModel, numHeads }: MultiHeadConfig): void {
  for (const [name, value] of [["dModel", dModel], ["numHeads", numHeads]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, got ${value}.`);
  }
  if (dModel % numHeads !== 0) {
    throw new Error(`numHeads ${numHeads} does not divide dModel ${dModel}: each head needs a whole slice of D (use one of ${validHeadCounts(dModel).join(", ")}).`);
  }
}

/** Every head count that divides a model of width `dModel`: the one list of valid values for numHeads. */
export function validHeadCounts(dModel: number): number[] {
  return Array.from({ length: dModel }, (_, i) => i + 1).filter((h) => dModel % h === 0);
}

/** [B, T, D] -> [B, H, T, Dh]: head h gets the columns h*Dh .. (h+1)*Dh - 1. */
export function splitHeads(x: tf.Tensor, numHeads: number): tf.Tensor {
  const [B, T, D] = x.shape;
  return tf.tidy(() => x.reshape([B, T, numHeads, D / numHeads]).transpose([0, 2, 1, 3])); // [B, H, T, Dh]
}

/** [B, H, T, Dh] -> [B, T, D]: the heads side by side again. */
export function mergeHeads(x: tf.Tensor): tf.Tensor {
  const [B, H, T, Dh] = x.shape;
  return tf.tidy(() => x.transpose([0, 2, 1, 3]).reshape([B, T, H * Dh])); // [B, T, D]
}

export class MultiHeadAttention {
  readonly config: MultiHeadConfig;
  readonly wq: tf.Variable; // [D, D] queries for all heads
  readonly wk: tf.Variable; // [D, D]
  readonly wv: tf.Variable; // [D, D]
  readonly wo: tf.Variable; // [D, D] output projection after the merge
  readonly bo: tf.Variable; // [D]

  constructor(config: MultiHeadConfig, rng: Rng, outputScale = 1) {
    checkHeads(config);
    this.config = { ...config };
    const D = config.dModel;
    const matrix = (scale: number) => normalWeight(D, D, scale * initialStd(D, config.init), rng);
    this.wq = matrix(1);
    this.wk = matrix(1);
    this.wv = matrix(1);
    this.wo = matrix(outputScale);
    this.bo = filledWeight([D], 0);
  }

  /** x [B, T, D] -> output [B, T, D] and weights [B, H, T, T]. */
  apply(x: tf.Tensor, mask?: tf.Tensor): AttentionResult {
    return tf.tidy(() => {
      const H = this.config.numHeads;
      const q = splitHeads(linear(x, this.wq as tf.Tensor2D), H); // [B, H, T, Dh]
      const k = splitHeads(linear(x, this.wk as tf.Tensor2D), H); // [B, H, T, Dh]
      const v = splitHeads(linear(x, this.wv as tf.Tensor2D), H); // [B, H, T, Dh]
      const { output, weights } = scaledDotProductAttention(q, k, v, mask); // [B, H, T, Dh], [B, H, T, T]
      const merged = mergeHeads(output); // [B, T, D]
      return { output: linear(merged, this.wo as tf.Tensor2D, this.bo as tf.Tensor1D), weights }; // [B, T, D]
    });
  }

  namedWeights(): Record<string, tf.Variable> {
    return { wq: this.wq, wk: this.wk, wv: this.wv, wo: this.wo, bo: this.bo };
  }
}
