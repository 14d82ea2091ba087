// Training many variants: one after another in this thread, or several at once on worker threads
// (ladder-worker.ts, through lib/workers/pool), the longest first.
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { BackendName } from "../fast/backend";
import { WorkerPool } from "../workers/pool";
import { trainVariant } from "./train-variant";
import { LadderJob, LadderSettings, Progress, Variant, VariantResult, VariantRunner, checkSettings, checkVariants, trainingCost } from "./variants";

/** Worker threads, each with its own tfjs backend, that train one variant at a time. */
export class LadderThreads {
  private readonly idle: number[];

  private constructor(private readonly pool: WorkerPool) {
    this.idle = pool.threads.map((_, i) => i);
  }

  /** Starts `count` threads on this thread's tfjs backend and waits until each is ready. */
  static async start(count: number): Promise<LadderThreads> {
    const pool = new WorkerPool("Ladder thread", path.join(__dirname, "ladder-worker.ts"), count, { backend: tf.getBackend() as BackendName });
    await pool.ready;
    return new LadderThreads(pool);
  }

  /** Trains the variant on an idle thread; call it at most as often at once as there are threads. */
  readonly runVariant: VariantRunner = async (variant, settings, onProgress) => {
    const worker = this.idle.pop();
    if (worker === undefined) throw new Error(`All ${this.pool.size} ladder threads are busy; run at most that many variants at once.`);
    try {
      const reply = await this.pool.run<{ type: "result"; result: VariantResult }>(worker, { variant, settings } satisfies LadderJob, `training "${variant.name}"`,
        (message) => onProgress?.((message as unknown as { progress: Progress }).progress));
      return reply.result;
    } finally {
      this.idle.push(worker);
    }
  };

  async close(): Promise<void> {
    await this.pool.stop();
  }
}

export interface LadderOptions {
  threads?: number; // worker threads, each training one variant at a time; 0 (the default): one after another in this thread
  parallel?: number; // with runVariant: variants run at the same time (default 1)
  runVariant?: VariantRunner; // where a variant trains (default: trainVariant, in this thread)
  longestFirst?: boolean; // start the longest runs first, so that parallel runs end together (default true); false: in the order given
  onProgress?: (progress: Progress, job: number) => void; // job: the index of the variant (or job) in the order given
  onResult?: (result: VariantResult, job: number) => void; // as each variant finishes
}

/**
 * Trains every variant and returns the results in the order given. With `threads` (or a runner
 * and `parallel`) that many run at once, the longest first.
 */
export async function runLadder(variants: readonly Variant[], settings: LadderSettings, options: LadderOptions = {}): Promise<VariantResult[]> {
  checkSettings(settings);
  checkVariants(variants);
  return trainEach(variants.map((variant) => ({ variant, settings })), options);
}

/** runLadder for variants that each have their own settings (steps, seed). */
export async function trainEach(jobs: readonly LadderJob[], options: LadderOptions = {}): Promise<VariantResult[]> {
  jobs.forEach((job) => checkSettings(job.settings));
  checkVariants([...new Map(jobs.map((job) => [job.variant.name, job.variant])).values()]);
  const { threads = 0 } = options;
  if (!Number.isInteger(threads) || threads < 0) throw new Error(`threads must be a whole number >= 0 (0 trains in this thread), got ${threads}.`);
  if (threads === 0) return runQueue(jobs, options.parallel ?? 1, options.runVariant ?? trainVariant, options);
  const pool = await LadderThreads.start(Math.min(threads, jobs.length));
  try {
    return await runQueue(jobs, Math.min(threads, jobs.length), pool.runVariant, options);
  } finally {
    await pool.close();
  }
}

async function runQueue(jobs: readonly LadderJob[], parallel: number, runVariant: VariantRunner, options: LadderOptions): Promise<VariantResult[]> {
  if (!Number.isInteger(parallel) || parallel < 1) throw new Error(`parallel must be a whole number >= 1, got ${parallel}.`);
  const cost = ({ variant, settings }: LadderJob) => trainingCost(variant, settings);
  const queue = jobs.map((_, i) => i);
  if (options.longestFirst ?? true) queue.sort((i, j) => cost(jobs[j]) - cost(jobs[i]));
  const results = new Array<VariantResult>(jobs.length);
  const lane = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const job = next;
      results[job] = await runVariant(jobs[job].variant, jobs[job].settings, (progress) => options.onProgress?.(progress, job));
      options.onResult?.(results[job], job);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, lane));
  return results;
}
