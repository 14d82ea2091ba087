// A batch cut into a fixed number of shards whose gradients are summed in shard order, so that
// the sum is bitwise the same whichever thread computed which shard; and GradientWorkers, the
// worker threads that compute shards for the Trainer (lib/gradient-worker.ts runs in each).
import * as os from "os";
import * as tf from "@tensorflow/tfjs";
import { Worker } from "worker_threads";
import { BackendName } from "./backend";
import { Batch } from "./data";
import { ModelConfig } from "./model";
import { startThread } from "./threads";

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

/** The number of answer tokens (loss mask = 1) in a batch: the loss is their mean. */
export function answerTokenCount(batch: Batch): number {
  return batch.lossMask.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
}

/** into = shard 0 + shard 1 + ..., added in that order in float32. */
export function sumShards(shardGradients: readonly Float32Array[], into: Float32Array): void {
  into.set(shardGradients[0]);
  for (let s = 1; s < shardGradients.length; s++) {
    const g = shardGradients[s];
    for (let i = 0; i < into.length; i++) into[i] += g[i];
  }
}

/** Worker threads worth starting here: one per core, at most one per shard. */
export function defaultWorkerCount(shards: number): number {
  return Math.max(1, Math.min(os.availableParallelism(), shards));
}

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
  heapMB: number; // the worker's JS heap (after a full collection on every HEAP_SAMPLE_EVERY-th step, lib/gradient-worker)
}

export type WorkerReply =
  | { type: "ready" }
  | { type: "done"; losses: number[]; timing: Omit<WorkerTiming, "worker" | "shards"> }
  | { type: "error"; message: string };

/** A worker that threw or died: the message names the worker and the step. */
export class WorkerError extends Error {}

/**
 * Worker threads that each hold their own tfjs backend and copy of the model, and compute shard
 * gradients into shared memory. Shard s goes to worker s % count.
 */
export class GradientWorkers {
  readonly threads: Worker[];
  readonly ready: Promise<number>; // resolves to the milliseconds all workers took to start
  private failure?: WorkerError;
  private lastStep = 0; // the last step sent to the workers
  private pending: { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void; step: number }[] = [];

  constructor(count: number, setup: WorkerSetup) {
    if (!Number.isInteger(count) || count < 1) throw new Error(`workers must be a positive whole number, got ${count}.`);
    const started = performance.now();
    this.threads = Array.from({ length: count }, () => startThread("./gradient-worker.ts", setup));
    this.ready = Promise.all(this.threads.map((_, i) => this.reply(i, 0))).then(() => {
      for (const thread of this.threads) thread.unref(); // an idle worker does not keep node running (compute() refs it while it works)
      return performance.now() - started;
    });
    this.ready.catch(() => undefined); // the failure is also thrown to whoever awaits ready or compute()
    this.threads.forEach((thread, i) => {
      thread.on("message", (reply: WorkerReply) => this.settle(i, reply));
      thread.on("error", (error) => this.fail(i, `threw: ${error.message}`));
      thread.on("exit", (code) => this.fail(i, `stopped (exit code ${code})`));
    });
  }

  /** Every shard's gradient into the shared gradients; returns the losses in shard order and each worker's timing. */
  async compute(step: number, shards: readonly Batch[], tokenCount: number): Promise<{ losses: number[]; timings: WorkerTiming[] }> {
    await this.ready;
    if (this.failure) throw this.failure;
    this.lastStep = step;
    const count = this.threads.length;
    const jobs = this.threads
      .map((_, worker) => ({ worker, shards: shards.map((batch, index) => ({ index, batch })).filter(({ index }) => index % count === worker) }))
      .filter((job) => job.shards.length > 0);
    const replies = await Promise.all(
      jobs.map(({ worker, shards: mine }) => {
        const thread = this.threads[worker];
        thread.ref();
        thread.postMessage({ step, shards: mine, tokenCount } satisfies WorkerJob);
        return this.reply(worker, step).finally(() => thread.unref());
      }),
    );
    const losses = new Array<number>(shards.length);
    const timings = replies.map((reply, j) => {
      const { worker, shards: mine } = jobs[j];
      if (reply.type !== "done") throw new WorkerError(`Training worker ${worker} sent "${reply.type}" during step ${step}, expected its gradients.`);
      mine.forEach(({ index }, k) => (losses[index] = reply.losses[k]));
      return { worker, shards: mine.length, ...reply.timing };
    });
    return { losses, timings };
  }

  stop(): void {
    this.failure ??= new WorkerError("The training workers were stopped (the trainer was disposed).");
    for (const thread of this.threads) void thread.terminate();
  }

  private reply(worker: number, step: number): Promise<WorkerReply> {
    return new Promise((resolve, reject) => (this.pending[worker] = { resolve, reject, step }));
  }

  private settle(worker: number, reply: WorkerReply): void {
    const pending = this.pending[worker];
    if (!pending) return;
    delete this.pending[worker];
    if (reply.type === "error") {
      const where = pending.step === 0 ? "while starting" : `during step ${pending.step}`;
      pending.reject((this.failure = new WorkerError(`Training worker ${worker} failed ${where}: ${reply.message}`)));
    } else {
      pending.resolve(reply);
    }
  }

  private fail(worker: number, what: string): void {
    if (this.failure?.message.includes("disposed")) return; // stopped on purpose
    const pending = this.pending[worker];
    const where = !pending ? `after step ${this.lastStep}` : pending.step === 0 ? "while starting" : `during step ${pending.step}`;
    this.failure ??= new WorkerError(`Training worker ${worker} ${what} ${where}; the weights are those after the last completed step.`);
    delete this.pending[worker];
    pending?.reject(this.failure);
  }
}
