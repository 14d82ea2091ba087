// lib's one worker-thread pool: how a thread starts, answers, fails and stops (the trainer's and the
// ladder's threads are tested through it in workers.test.ts and experiments.test.ts).
import * as path from "path";
import { afterEach, describe, expect, it } from "vitest";
import { WorkerError, WorkerPool } from "../lib/workers/pool";

const ECHO = path.join(__dirname, "fixtures", "echo-worker.ts");
const pools: WorkerPool[] = [];
const start = (count: number, failStart = false) => {
  const pool = new WorkerPool("Test thread", ECHO, count, { failStart });
  pools.push(pool);
  return pool;
};
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop()));
});

describe("WorkerPool", () => {
  it("starts every thread, runs a job on the thread asked for, and passes its progress on", async () => {
    const pool = start(2);
    expect(await pool.ready).toBeGreaterThan(0);
    const progress: unknown[] = [];
    const reply = await pool.run<{ type: string; value: number }>(1, { kind: "echo", value: 21 }, "job 1", (message) => progress.push(message));
    expect(reply).toEqual({ type: "done", value: 42 });
    expect(progress).toEqual([{ type: "progress", step: 1 }, { type: "progress", step: 2 }]);
  });

  it("names the thread and the job when a job fails, and the thread takes the next job", async () => {
    const pool = start(1);
    await expect(pool.run(0, { kind: "fail", value: 7 }, "job 7")).rejects.toThrow(new WorkerError("Test thread 0 failed during job 7: cannot do 7"));
    expect(await pool.run(0, { kind: "echo", value: 1 }, "job 8")).toEqual({ type: "done", value: 2 });
  });

  it("refuses a second job for a busy thread", async () => {
    const pool = start(1);
    const first = pool.run(0, { kind: "echo", value: 1 }, "job 1");
    await expect(pool.run(0, { kind: "echo", value: 2 }, "job 2")).rejects.toThrow("Test thread 0 is busy with job 1; send it one job at a time.");
    await first;
  });

  it("fails for good when a thread dies, naming it and its job, then after its last job", async () => {
    const pool = start(2);
    await pool.run(1, { kind: "echo", value: 1 }, "job 1");
    await expect(pool.run(0, { kind: "exit", value: 0 }, "job 2")).rejects.toThrow("Test thread 0 stopped (exit code 3) during job 2.");
    await expect(pool.run(1, { kind: "echo", value: 1 }, "job 3")).rejects.toThrow(WorkerError);
  });

  it("rejects ready and stops its threads when one cannot start", async () => {
    const pool = start(2, true);
    await expect(pool.ready).rejects.toThrow(/Test thread [01] failed during start-up: no backend here/);
    await expect(pool.run(0, { kind: "echo", value: 1 }, "job 1")).rejects.toThrow(WorkerError);
  });

  it("after stop(), rejects every later job", async () => {
    const pool = start(1);
    await pool.ready;
    await pool.stop();
    await expect(pool.run(0, { kind: "echo", value: 1 }, "job 1")).rejects.toThrow("The test threads were stopped.");
  });

  it("names a bad thread count", () => {
    expect(() => new WorkerPool("Test thread", ECHO, 0, {})).toThrow("A pool of test threads needs a positive whole number of threads, got 0.");
  });
});
