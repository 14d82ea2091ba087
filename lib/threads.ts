// Worker threads that run lib's TypeScript, started the same way from tsx, vitest and a tslab
// notebook: each thread loads lib/thread-entry.cjs, which registers tsx's loader and then requires
// the .ts module it is given. The module reads what it was sent with `threadData()`.
import * as path from "path";
import { Worker, workerData } from "worker_threads";

/**
 * Starts a worker thread running `modulePath` (a .ts or .js file; relative paths are from lib/).
 * `data` reaches the module as threadData(); it is copied (structured clone), except
 * SharedArrayBuffers, which both threads then share.
 */
export function startThread(modulePath: string, data: unknown): Worker {
  const resolved = path.resolve(__dirname, modulePath);
  // execArgv [] so that a parent started with `node --import tsx` does not load tsx twice.
  return new Worker(path.join(__dirname, "thread-entry.cjs"), { workerData: { modulePath: resolved, data }, execArgv: [] });
}

/** Inside a thread started by startThread: the `data` it was given. */
export function threadData<T>(): T {
  if (!workerData || !("modulePath" in workerData)) throw new Error("threadData(): this code is not running in a thread started by startThread().");
  return workerData.data as T;
}
