// GradientWorkers: the worker threads that compute the Trainer's shard gradients. Each thread
// (gradient-worker.ts) holds its own tfjs backend and copy of the model; the weights and
// the gradients travel through shared memory. Shard s goes to worker s % count.
import * as path from "path";
import { Batch } from "../data";
import { WorkerError, WorkerPool } from "../workers/pool";
import { GradientsDone, WorkerJob, WorkerSetup, WorkerTiming } from "./shards";

export class GradientWorkers {
  readonly pool: WorkerPool;
  private failure?: Error; // a failed step leaves the workers unusable: the trainer stops rather than go on with a broken one

  constructor(count: number, setup: WorkerSetup) {
    if (!Number.isInteger(count) || count < 1) throw new Error(`workers must be a positive whole number, got ${count}.`);
    this.pool = new WorkerPool("Training worker", path.join(__dirname, "gradient-worker.ts"), count, setup);
  }

  get ready(): Promise<number> {
    return this.pool.ready;
  }

  /** Every shard's gradient into the shared gradients; returns the losses in shard order and each worker's timing. */
  async compute(step: number, shards: readonly Batch[], tokenCount: number): Promise<{ losses: number[]; timings: WorkerTiming[] }> {
    if (this.failure) throw this.failure;
    const count = this.pool.size;
    const jobs = this.pool.threads
      .map((_, worker) => ({ worker, shards: shards.map((batch, index) => ({ index, batch })).filter(({ index }) => index % count === worker) }))
      .filter((job) => job.shards.length > 0);
    let replies: GradientsDone[];
    try {
      replies = await Promise.all(jobs.map(({ worker, shards: mine }) => this.pool.run<GradientsDone>(worker, { step, shards: mine, tokenCount } satisfies WorkerJob, `step ${step}`)));
    } catch (error) {
      this.failure ??= new WorkerError(`${(error as Error).message} The weights are those after the last completed step.`);
      throw this.failure;
    }
    const losses = new Array<number>(shards.length);
    const timings = replies.map((reply, j) => {
      const { worker, shards: mine } = jobs[j];
      mine.forEach(({ index }, k) => (losses[index] = reply.losses[k]));
      return { worker, shards: mine.length, ...reply.timing };
    });
    return { losses, timings };
  }

  stop(): void {
    this.failure ??= new WorkerError("The training workers were stopped (the trainer was disposed).");
    void this.pool.stop();
  }
}
