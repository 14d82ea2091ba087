// The "logit lens": what a model would predict if it stopped after a block. Every block adds to the
// residual stream, so the final norm and the output layer can read that stream after any block, not
// only after the last one. Used by notebook 5 on the trained course model.
import * as tf from "@tensorflow/tfjs";
import { OPERATIONS, Operation, Problem, promptIds } from "../data";
import { Transformer } from "../model";
import { encode } from "../vocab";

/**
 * For prompts of one length: the next-token probabilities at the last position, read after the
 * embeddings (layer 0) and after each block (layer k), [numLayers + 1, B, V]. The last layer's
 * row is the model's own prediction.
 */
export function lensProbabilities(model: Transformer, prompts: number[][]): tf.Tensor3D {
  const T = prompts[0]?.length ?? 0;
  if (prompts.some((p) => p.length !== T)) throw new Error(`lensProbabilities: the prompts have different lengths; pass prompts of one length (got lengths ${prompts.map((p) => p.length).join(", ")}).`);
  return tf.tidy(() => {
    const { streams } = model.residualStreams(prompts); // (N + 1) x [B, T, D]
    const atLast = tf.stack(streams.map((s) => s.slice([0, T - 1, 0], [-1, 1, -1]).squeeze([1]))); // [N + 1, B, D]
    return tf.softmax(model.readOut(atLast)) as tf.Tensor3D; // [N + 1, B, V]
  });
}

/** How many problems of one operation get their first answer word as the top prediction at "=", per layer. */
export interface LensCount {
  op: Operation;
  of: number;
  right: number[]; // right[k]: after layer k (0 = the embeddings alone, k = after block k)
}

/** Per operation present in `problems`: how often the top prediction at "=" is the first answer word, after each layer. */
export function firstWordRightByLayer(model: Transformer, problems: readonly Problem[]): LensCount[] {
  const layers = model.config.numLayers + 1;
  const counts = new Map<Operation, LensCount>();
  const byLength = new Map<number, Problem[]>(); // prompt length -> problems: no padding in any batch
  for (const p of problems) {
    const length = promptIds(p.question).length;
    byLength.set(length, [...(byLength.get(length) ?? []), p]);
  }
  for (const group of byLength.values()) {
    const best = tf.tidy(() => lensProbabilities(model, group.map((p) => promptIds(p.question))).argMax(-1)); // [N + 1, B]
    const rows = best.arraySync() as number[][];
    best.dispose();
    group.forEach((p, b) => {
      const count = counts.get(p.op) ?? { op: p.op, of: 0, right: new Array<number>(layers).fill(0) };
      count.of++;
      const firstWord = encode(p.answer)[0];
      rows.forEach((row, k) => (count.right[k] += row[b] === firstWord ? 1 : 0));
      counts.set(p.op, count);
    });
  }
  return OPERATIONS.flatMap((op) => counts.get(op) ?? []);
}
