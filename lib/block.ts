// The transformer block: attention and a feed-forward network, each wrapped in a residual
// connection and a layer norm.
import * as tf from "@tensorflow/tfjs";
import { MultiHeadAttention, MultiHeadConfig } from "./multihead";
import { layerNorm, linear } from "./fast/ops";
import { Rng } from "./random";
import { InitScheme, filledWeight, initialStd, normalWeight } from "./weights";

/**
 * "pre": x + f(norm(x)), as GPT-2 does: the residual path stays an untouched sum, which trains
 *        stably without learning-rate warm-up; this is the default.
 * "post": norm(x + f(x)), as the original Transformer diagram draws it ("Add & Normalize").
 */
export type NormPlacement = "pre" | "post";

export interface BlockConfig extends MultiHeadConfig {
  ffnHidden: number; // width of the feed-forward layer, usually 4 * dModel
  norm: NormPlacement;
  residual: boolean; // false only to show what residual connections do
}

/** Normalises every token vector to mean 0, variance 1, then scales and shifts it. */
export class LayerNorm {
  readonly gain: tf.Variable; // [D]
  readonly bias: tf.Variable; // [D]

  constructor(dModel: number, readonly epsilon = 1e-5) {
    this.gain = filledWeight([dModel], 1);
    this.bias = filledWeight([dModel], 0);
  }

  /**
   * (x - mean) / sqrt(variance + epsilon) * gain + bias over each token's D values.
   * lib/fast/ops computes exactly this with a hand-written gradient, which trains faster.
   */
  apply(x: tf.Tensor): tf.Tensor {
    return layerNorm(x, this.gain as tf.Tensor1D, this.bias as tf.Tensor1D, this.epsilon); // [B, T, D]
  }

  namedWeights(): Record<string, tf.Variable> {
    return { gain: this.gain, bias: this.bias };
  }
}

/** Two linear layers with a ReLU between, applied to every token on its own. */
export class FeedForward {
  readonly w1: tf.Variable; // [D, F]
  readonly b1: tf.Variable; // [F]
  readonly w2: tf.Variable; // [F, D]
  readonly b2: tf.Variable; // [D]

  constructor(dModel: number, hidden: number, rng: Rng, outputScale = 1, init: InitScheme = "fan-in") {
    this.w1 = normalWeight(dModel, hidden, initialStd(dModel, init), rng);
    this.b1 = filledWeight([hidden], 0);
    this.w2 = normalWeight(hidden, dModel, outputScale * initialStd(hidden, init), rng);
    this.b2 = filledWeight([dModel], 0);
  }

  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const hidden = tf.relu(linear(x, this.w1 as tf.Tensor2D, this.b1 as tf.Tensor1D)); // [B, T, F]
      return linear(hidden, this.w2 as tf.Tensor2D, this.b2 as tf.Tensor1D); // [B, T, D]
    });
  }

  namedWeights(): Record<string, tf.Variable> {
    return { w1: this.w1, b1: this.b1, w2: this.w2, b2: this.b2 };
  }
}

export interface BlockResult {
  output: tf.Tensor; // [B, T, D]
  weights: tf.Tensor; // [B, H, T, T]
}

export class TransformerBlock {
  readonly config: BlockConfig;
  readonly attention: MultiHeadAttention;
  readonly norm1: LayerNorm;
  readonly feedForward: FeedForward;
  readonly norm2: LayerNorm;

  /** `outputScale` shrinks the starting weights of the two projections that write into the residual stream. */
  constructor(config: BlockConfig, rng: Rng, outputScale = 1) {
    if (config.norm !== "pre" && config.norm !== "post") {
      throw new Error(`norm must be "pre" or "post", got "${config.norm}".`);
    }
    if (!Number.isInteger(config.ffnHidden) || config.ffnHidden < 1) {
      throw new Error(`ffnHidden must be a positive whole number, got ${config.ffnHidden}.`);
    }
    this.config = { ...config };
    this.attention = new MultiHeadAttention(config, rng, outputScale);
    this.norm1 = new LayerNorm(config.dModel);
    this.feedForward = new FeedForward(config.dModel, config.ffnHidden, rng, outputScale, config.init);
    this.norm2 = new LayerNorm(config.dModel);
  }

  /** x [B, T, D] -> [B, T, D], plus this block's attention weights [B, H, T, T]. */
  apply(x: tf.Tensor, mask?: tf.Tensor): BlockResult {
    return tf.tidy(() => {
      const { norm, residual } = this.config;
      const add = (input: tf.Tensor, update: tf.Tensor) => (residual ? input.add(update) : update); // [B, T, D]
      if (norm === "pre") {
        const attended = this.attention.apply(this.norm1.apply(x), mask); // [B, T, D], [B, H, T, T]
        const h = add(x, attended.output); // [B, T, D]
        const output = add(h, this.feedForward.apply(this.norm2.apply(h))); // [B, T, D]
        return { output, weights: attended.weights };
      }
      const attended = this.attention.apply(x, mask); // [B, T, D], [B, H, T, T]
      const h = this.norm1.apply(add(x, attended.output)); // [B, T, D]
      const output = this.norm2.apply(add(h, this.feedForward.apply(h))); // [B, T, D]
      return { output, weights: attended.weights };
    });
  }

  namedWeights(): Record<string, tf.Variable> {
    return prefixed({
      attention: this.attention.namedWeights(),
      norm1: this.norm1.namedWeights(),
      feedForward: this.feedForward.namedWeights(),
      norm2: this.norm2.namedWeights(),
    });
  }
}

/** { a: { w: v } } -> { "a.w": v }: the names checkpoints use. */
export function prefixed(groups: Record<string, Record<string, tf.Variable>>): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const [group, weights] of Object.entries(groups)) {
    for (const [name, variable] of Object.entries(weights)) out[`${group}.${name}`] = variable;
  }
  return out;
}
