// The whole model: token + position embeddings -> N transformer blocks -> final norm -> logits.
import * as tf from "@tensorflow/tfjs";
import { causalMask, selfOnlyMask } from "./attention";
import { LayerNorm, NormPlacement, TransformerBlock, prefixed } from "./block";
import { checkHeads } from "./multihead";
import { embed, linear } from "./fast/ops";
import { makeRng } from "./random";
import { INIT_SCHEMES, InitScheme, filledWeight, initialStd, normalWeight } from "./weights";
import { VOCAB_SIZE } from "./vocab";

export interface ModelConfig {
  vocabSize: number; // V
  contextLength: number; // the most tokens the model can see at once
  dModel: number; // D
  numHeads: number; // H
  numLayers: number; // N blocks
  ffnHidden: number; // feed-forward width
  norm: NormPlacement;
  attendTo: AttendTo; // which positions each token may attend to
  residual: boolean; // false only to show what residual connections do
  init: InitScheme; // how the weight matrices start: "fan-in" (1/√fan-in) or "gpt-2" (0.02)
  seed: number; // initial weights
}

/**
 * "past": itself and every earlier position (the causal mask): the course's model.
 * "all": every position, later ones included (no mask): the answer token is in plain view.
 * "self": only itself: attention reduced to a per-token layer, a baseline without attention.
 */
export type AttendTo = "past" | "all" | "self";
export const ATTEND_TO: readonly AttendTo[] = ["past", "all", "self"];

export const DEFAULT_CONFIG: ModelConfig = {
  vocabSize: VOCAB_SIZE,
  contextLength: 16,
  dModel: 64,
  numHeads: 4,
  numLayers: 2,
  ffnHidden: 256,
  norm: "pre",
  attendTo: "past",
  residual: true,
  init: "fan-in",
  seed: 0,
};

/** Defaults filled in, every value checked; ffnHidden follows dModel (4x) unless given. */
export function makeConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  const config = { ...DEFAULT_CONFIG, ffnHidden: 4 * (overrides.dModel ?? DEFAULT_CONFIG.dModel), ...overrides };
  for (const key of ["vocabSize", "contextLength", "dModel", "numHeads", "numLayers", "ffnHidden"] as const) {
    const value = config[key];
    if (!Number.isInteger(value) || value < 1) throw new Error(`${key} must be a positive whole number, got ${value}.`);
  }
  if (!Number.isInteger(config.seed)) throw new Error(`seed must be a whole number, got ${config.seed}.`);
  if (!ATTEND_TO.includes(config.attendTo)) {
    throw new Error(`attendTo must be ${ATTEND_TO.map((a) => `"${a}"`).join(", ")}, got "${config.attendTo}".`);
  }
  if (typeof config.residual !== "boolean") throw new Error(`residual must be true or false, got ${config.residual}.`);
  if (!INIT_SCHEMES.includes(config.init)) throw new Error(`init must be ${INIT_SCHEMES.map((s) => `"${s}"`).join(" or ")}, got "${config.init}".`);
  if (config.norm !== "pre" && config.norm !== "post") throw new Error(`norm must be "pre" or "post", got "${config.norm}".`);
  checkHeads(config);
  return config;
}

export interface ForwardResult {
  logits: tf.Tensor; // [B, T, V] a score for every possible next token
  attention: tf.Tensor[]; // one [B, H, T, T] per layer
}

export class Transformer {
  readonly config: ModelConfig;
  readonly tokenEmbedding: tf.Variable; // [V, D]
  readonly positionEmbedding: tf.Variable; // [contextLength, D]
  readonly blocks: TransformerBlock[];
  readonly finalNorm: LayerNorm;
  readonly head: tf.Variable; // [D, V]
  readonly headBias: tf.Variable; // [V]

  constructor(overrides: Partial<ModelConfig> = {}) {
    const config = makeConfig(overrides);
    this.config = config;
    const { vocabSize: V, contextLength, dModel: D } = config;
    const rng = makeRng(config.seed);
    const outputScale = 1 / Math.sqrt(2 * config.numLayers); // GPT-2's rule: 2N outputs are summed into the residual stream
    const std = initialStd(D, config.init); // embeddings: the size of a fresh layer's outputs
    this.tokenEmbedding = normalWeight(V, D, std, rng);
    this.positionEmbedding = normalWeight(contextLength, D, std, rng);
    this.blocks = Array.from({ length: config.numLayers }, () => new TransformerBlock(config, rng, outputScale));
    this.finalNorm = new LayerNorm(D);
    this.head = normalWeight(D, V, std, rng);
    this.headBias = filledWeight([V], 0);
  }

  /** ids [B, T] (T <= contextLength) -> logits [B, T, V] and every layer's attention weights. */
  forward(ids: number[][] | tf.Tensor2D): ForwardResult {
    return tf.tidy(() => {
      const { streams, attention } = this.residualStreams(ids); // (N + 1) x [B, T, D]
      return { logits: this.readOut(streams[streams.length - 1]), attention }; // [B, T, V]
    });
  }

  /**
   * What forward computes before its read-out: the residual stream [B, T, D] after the embeddings
   * and after each block (numLayers + 1 tensors), and every block's attention weights.
   */
  residualStreams(ids: number[][] | tf.Tensor2D): { streams: tf.Tensor[]; attention: tf.Tensor[] } {
    const [B, T] = Array.isArray(ids) ? [ids.length, ids[0]?.length ?? 0] : ids.shape;
    if (B === 0 || T === 0) throw new Error(`forward: got ${B} sequences of ${T} tokens; expected at least one token.`);
    if (T > this.config.contextLength) {
      throw new Error(`forward: ${T} tokens do not fit the context of ${this.config.contextLength} tokens.`);
    }
    return tf.tidy(() => {
      const idRows = Array.isArray(ids) ? ids : (ids.arraySync() as number[][]); // [B, T]
      // The token's row of the table plus its position's row: the one-hot product, done as a lookup.
      const streams: tf.Tensor[] = [embed(idRows, this.tokenEmbedding as tf.Tensor2D, this.positionEmbedding as tf.Tensor2D)]; // [B, T, D]
      const mask = this.maskFor(T); // [T, T], or none when every position may attend to every other
      const attention: tf.Tensor[] = [];
      for (const block of this.blocks) {
        const result = block.apply(streams[streams.length - 1], mask); // [B, T, D], [B, H, T, T]
        streams.push(result.output);
        attention.push(result.weights);
      }
      return { streams, attention };
    });
  }

  /** The final norm and the output layer: token vectors [..., D] -> logits [..., V]. */
  readOut(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => linear(this.finalNorm.apply(x), this.head as tf.Tensor2D, this.headBias as tf.Tensor1D)); // [..., V]
  }

  /** The attention mask of `config.attendTo` for T tokens: 1 = may attend. */
  private maskFor(T: number): tf.Tensor2D | undefined {
    const { attendTo } = this.config;
    return attendTo === "past" ? causalMask(T) : attendTo === "self" ? selfOnlyMask(T) : undefined;
  }

  /** Every trainable weight under a stable name ("blocks.0.attention.wq"), in a fixed order. */
  namedWeights(): Record<string, tf.Variable> {
    const groups: Record<string, Record<string, tf.Variable>> = {
      embedding: { token: this.tokenEmbedding, position: this.positionEmbedding },
    };
    this.blocks.forEach((block, i) => (groups[`blocks.${i}`] = block.namedWeights()));
    groups.finalNorm = this.finalNorm.namedWeights();
    groups.head = { weight: this.head, bias: this.headBias };
    return prefixed(groups);
  }

  numParameters(): number {
    return Object.values(this.namedWeights()).reduce((sum, v) => sum + v.size, 0);
  }

  dispose(): void {
    for (const variable of Object.values(this.namedWeights())) variable.dispose();
  }
}
