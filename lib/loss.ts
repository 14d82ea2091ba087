// The loss: cross-entropy on the answer tokens only (the question is given, not predicted).
import * as tf from "@tensorflow/tfjs";
import { Batch } from "./data";
import { answerCrossEntropy } from "./fast/ops";
import { Transformer } from "./model";

/**
 * Mean cross-entropy over the positions where mask = 1 (the answer tokens and [END]); with
 * `divisor`, their sum divided by it instead (a shard's share of a whole batch's mean).
 */
export function maskedCrossEntropy(logits: tf.Tensor, targets: tf.Tensor, mask: tf.Tensor, divisor?: number): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits); // [B, T, V]
    const targetOneHot = tf.oneHot(targets.toInt(), logits.shape[2] as number).toFloat(); // [B, T, V]
    const tokenLoss = logProbs.mul(targetOneHot).sum(-1).neg(); // [B, T]
    return tokenLoss.mul(mask).sum().div(divisor ?? mask.sum()) as tf.Scalar; // []
  });
}

/** The number of answer tokens (loss mask = 1) in a batch: the loss is their mean. */
export function answerTokenCount(batch: Batch): number {
  return batch.lossMask.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
}

/**
 * The mean loss of the batch's answer tokens (divided by `divisor` instead of their count, if
 * given): maskedCrossEntropy's value, computed by lib/fast/ops with a hand-written gradient.
 */
export function batchLoss(model: Transformer, batch: Batch, divisor = answerTokenCount(batch)): tf.Scalar {
  return tf.tidy(() => {
    const { logits } = model.forward(batch.inputs); // [B, T, V]
    return answerCrossEntropy(logits as tf.Tensor3D, batch.targets, batch.lossMask, divisor); // []
  });
}
