// Worker threads that run lib's TypeScript, started, failed and stopped in one way for everything
// that uses them (the trainer's gradient workers, lib/training, and the ladder's, lib/ladder). Each
// thread loads entry.cjs, which registers tsx's loader (tslab's in-memory compilation gives a worker
// none) and then requires the worker module it is given; that module reads its start-up data with
// threadData() and answers every job with messages whose `type` the pool reads:
//   "ready" once, when it can take jobs; "error" with a message when a job (or starting) failed;
//   "progress" any number of times during a job; any other type ends the job and is its result.
import * as path from "path";
import { Worker, workerData } from "worker_threads";

/** Every message a worker module sends has a type; see the protocol above. */
export type WorkerReply = { type: "ready" } | { type: "error"; message: string } | { type: string };

/** A worker that failed to start, failed a job, threw or died, or a pool that was stopped: the message names the worker and when. */
export class WorkerError extends Error {}

/** Inside a worker thread started by a WorkerPool: the data it was given. */
export function threadData<T>(): T {
  if (!workerData || !("modulePath" in workerData)) throw new Error("threadData(): this code is not running in a thread started by a WorkerPool.");
  return workerData.data as T;
}

interface Pending {
  job: string; // what the thread is doing, for errors: "step 3", "training "no mask"", "start-up"
  onProgress?: (reply: WorkerReply) => void;
  resolve: (reply: WorkerReply) => void;
  reject: (error: Error) => void;
}

/**
 * `count` threads, each running the worker module at `modulePath` (absolute) with `data`: copied into
 * each thread (structured clone), except SharedArrayBuffers, which all threads then share.
 * `role` names a thread in every error ("Training worker 1 ...").
 */
export class WorkerPool {
  readonly threads: Worker[];
  readonly ready: Promise<number>; // resolves to the milliseconds all threads took to start
  private failure?: WorkerError;
  private stopped = false;
  private readonly pending: (Pending | undefined)[];
  private readonly lastJob: string[]; // per thread, the job it finished last

  constructor(readonly role: string, modulePath: string, count: number, data: unknown) {
    if (!Number.isInteger(count) || count < 1) throw new Error(`A pool of ${role.toLowerCase()}s needs a positive whole number of threads, got ${count}.`);
    const started = performance.now();
    const resolved = path.resolve(__dirname, modulePath);
    // execArgv [] so that a parent started with `node --import tsx` does not load tsx twice.
    this.threads = Array.from({ length: count }, () => new Worker(path.join(__dirname, "entry.cjs"), { workerData: { modulePath: resolved, data }, execArgv: [] }));
    this.pending = this.threads.map(() => undefined);
    this.lastJob = this.threads.map(() => "start-up");
    this.threads.forEach((thread, i) => {
      thread.on("message", (reply: WorkerReply) => this.settle(i, reply));
      thread.on("error", (error) => this.fail(i, `threw: ${error.message}`));
      thread.on("exit", (code) => this.fail(i, `stopped (exit code ${code})`));
    });
    this.ready = Promise.all(this.threads.map((_, i) => this.expect(i, "start-up"))).then(
      () => {
        for (const thread of this.threads) thread.unref(); // an idle thread does not keep node running; run() refs it while it works
        return performance.now() - started;
      },
      (error) => {
        void this.stop();
        throw error;
      },
    );
    this.ready.catch(() => undefined); // the failure also reaches whoever awaits ready or run()
  }

  get size(): number {
    return this.threads.length;
  }

  /** Sends `job` to thread `worker` and resolves to the reply that ends it; `what` names the job in errors ("step 3"). */
  async run<R extends WorkerReply>(worker: number, job: unknown, what: string, onProgress?: (reply: R) => void): Promise<R> {
    await this.ready;
    if (this.failure) throw this.failure;
    if (this.pending[worker]) throw new Error(`${this.role} ${worker} is busy with ${this.pending[worker]!.job}; send it one job at a time.`);
    const thread = this.threads[worker];
    thread.ref();
    const reply = this.expect(worker, what, onProgress as (reply: WorkerReply) => void);
    thread.postMessage(job);
    return (reply.finally(() => thread.unref())) as Promise<R>;
  }

  /** Ends every thread; later runs fail with a WorkerError that says the pool was stopped. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.failure ??= new WorkerError(`The ${this.role.toLowerCase()}s were stopped.`);
    for (const pending of this.pending) pending?.reject(this.failure);
    await Promise.all(this.threads.map((thread) => thread.terminate()));
  }

  private expect(worker: number, job: string, onProgress?: (reply: WorkerReply) => void): Promise<WorkerReply> {
    return new Promise((resolve, reject) => (this.pending[worker] = { job, onProgress, resolve, reject }));
  }

  private settle(worker: number, reply: WorkerReply): void {
    const pending = this.pending[worker];
    if (!pending) return;
    if (reply.type === "progress") return pending.onProgress?.(reply);
    this.pending[worker] = undefined;
    this.lastJob[worker] = pending.job;
    if (reply.type === "error") {
      const error = new WorkerError(`${this.role} ${worker} failed during ${pending.job}: ${(reply as { message: string }).message}`);
      if (pending.job === "start-up") this.failure ??= error;
      pending.reject(error);
    } else {
      pending.resolve(reply);
    }
  }

  /** A thread threw or exited: the pool cannot go on. */
  private fail(worker: number, what: string): void {
    if (this.stopped) return;
    const pending = this.pending[worker];
    this.failure ??= new WorkerError(`${this.role} ${worker} ${what} ${pending ? `during ${pending.job}` : `after ${this.lastJob[worker]}`}.`);
    this.pending[worker] = undefined;
    pending?.reject(this.failure);
  }
}
