// A batch cut into a fixed number of shards whose gradients are summed in shard order, so that the
// sum is bitwise the same whichever thread computed which shard; the weights and each shard's
// gradients live in flat Float32Arrays that worker threads share.
import * as os from "os";
import * as tf from "@tensorflow/tfjs";
import { Batch } from "../data";
import { batchLoss } from "../loss";
import { BackendName } from "../fast/backend";
import { ModelConfig, Transformer } from "../model";

/** Where each weight sits in one flat Float32Array of all weights, in namedWeights() order. */
export interface WeightSlot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export function weightLayout(weights: Record<string, tf.Variable>): { slots: WeightSlot[]; total: number } {
  let offset = 0;
  const slots = Object.entries(weights).map(([name, w]) => {
    const slot = { name, shape: w.shape.slice(), offset, size: w.size };
    offset += w.size;
    return slot;
  });
  return { slots, total: offset };
}

/** Rows [from, to) of a batch. */
function batchRows(batch: Batch, from: number, to: number): Batch {
  const { inputs, targets, lossMask, problems } = batch;
  return { inputs: inputs.slice(from, to), targets: targets.slice(from, to), lossMask: lossMask.slice(from, to), problems: problems.slice(from, to) };
}

/** The batch cut into `shards` consecutive parts whose sizes differ by at most one. */
export function shardsOf(batch: Batch, shards: number): Batch[] {
  const B = batch.inputs.length;
  if (B < shards) throw new Error(`A batch of ${B} sequences cannot be cut into ${shards} shards; use a batch of at least ${shards}.`);
  return Array.from({ length: shards }, (_, s) => batchRows(batch, Math.floor((s * B) / shards), Math.floor(((s + 1) * B) / shards)));
}

/** into = shard 0 + shard 1 + ..., added in that order in float32. */
export function sumShards(gradientsPerShard: readonly Float32Array[], into: Float32Array): void {
  into.set(gradientsPerShard[0]);
  for (let s = 1; s < gradientsPerShard.length; s++) {
    const g = gradientsPerShard[s];
    for (let i = 0; i < into.length; i++) into[i] += g[i];
  }
}

/** Worker threads worth starting here: one per core, at most one per shard. */
export function defaultWorkerCount(shards: number): number {
  return Math.max(1, Math.min(os.availableParallelism(), shards));
}

/**
 * Loss and gradients of one shard of a batch: its share of the whole batch's mean loss (its answer
 * tokens' losses summed, divided by the batch's `tokenCount`), so the shards' losses and gradients
 * add up to the batch's. The gradients go into `out` (flat, in namedWeights() order); returns the loss.
 */
export function computeShardGradients(model: Transformer, shard: Batch, tokenCount: number, out: Float32Array): number {
  const weights = Object.values(model.namedWeights());
  const { value, grads } = tf.variableGrads(() => batchLoss(model, shard, tokenCount), weights);
  let offset = 0;
  for (const w of weights) {
    out.set(grads[w.name].dataSync(), offset);
    offset += w.size;
  }
  const loss = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  return loss;
}

// ---------------------------------------------------------------- what the trainer and its worker threads exchange

/** What the main thread sends a worker once, at start. */
export interface WorkerSetup {
  modelConfig: ModelConfig;
  backend: BackendName;
  weights: SharedArrayBuffer; // every weight, flat, written by the main thread before each step
  gradients: SharedArrayBuffer; // [shards][all weights], each shard's gradient, written by the worker that computes it
}

/** A job: the shards of one step that one worker computes. */
export interface WorkerJob {
  step: number;
  shards: { index: number; batch: Batch }[];
  tokenCount: number;
}

/** How one worker spent one step. */
export interface WorkerTiming {
  worker: number;
  shards: number;
  loadMs: number; // copying the new weights into its tfjs variables
  gradientMs: number; // forward and backward of its shards
  numTensors: number; // tfjs tensors alive in the worker after the step
  heapMB: number; // the worker's JS heap (after a full garbage collection on some steps, lib/workers/gradient-worker.ts)
}

/** A worker's answer to a job. */
export interface GradientsDone {
  type: "done";
  losses: number[];
  timing: Omit<WorkerTiming, "worker" | "shards">;
}
