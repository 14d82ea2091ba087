// Data-parallel training on worker threads: the same losses and weights, bit for bit, for any
// number of workers (and in this thread); clear errors when a worker fails; resume across worker
// counts. (Tensors and heap flat in every worker over 1,000 steps: tests/memory.test.ts.)
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allProblems, makeBatch, splitProblems } from "../lib/data";
import { WorkerError } from "../lib/workers/pool";
import { ModelConfig, Transformer } from "../lib/model";
import { readSafetensors } from "../lib/training/safetensors";
import { TrainConfig, Trainer, runTraining } from "../lib/train";
import { useBackend } from "./helpers";

useBackend();

const SPLIT = splitProblems(allProblems(), 0.1, 0);
const TINY: Partial<ModelConfig> = { dModel: 16, numHeads: 2, numLayers: 1, contextLength: 12, seed: 0 };
const QUICK: Partial<TrainConfig> = { steps: 6, batchSize: 16, shards: 4, learningRate: 1e-2, warmupSteps: 2, seed: 0 };

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "workers-test-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Run {
  losses: number[];
  weights: Record<string, number[]>;
}

async function trainWith(workers: number, steps = 6): Promise<Run> {
  const trainer = new Trainer(new Transformer(TINY), SPLIT.train, QUICK, { workers });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push((await trainer.trainStepAsync()).loss);
  const weights = Object.fromEntries(Object.entries(trainer.model.namedWeights()).map(([name, w]) => [name, Array.from(w.dataSync())]));
  trainer.dispose();
  return { losses, weights };
}

describe("training on worker threads", () => {
  it("gives bitwise the same losses and weights in this thread and on 1, 2 and 4 workers", async () => {
    const inThread = await trainWith(0);
    for (const workers of [1, 2, 4]) {
      const run = await trainWith(workers);
      expect(run.losses, `losses with ${workers} workers`).toEqual(inThread.losses);
      for (const [name, values] of Object.entries(inThread.weights)) expect(run.weights[name], `${name} with ${workers} workers`).toEqual(values);
    }
    expect(inThread.losses[5]).toBeLessThan(inThread.losses[0]); // and it does train
  }, 120_000);

  it("resumes a run saved on 2 workers on 1 worker and ends bitwise where an unbroken run in this thread ends", async () => {
    const straight = await trainWith(0, 6);
    const first = new Trainer(new Transformer(TINY), SPLIT.train, QUICK, { workers: 2 });
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) losses.push((await first.trainStepAsync()).loss);
    const p = path.join(dir, "two-workers.safetensors");
    first.save(p);
    first.dispose();
    const resumed = Trainer.resume(p, SPLIT.train, { workers: 1 });
    for (let i = 0; i < 3; i++) losses.push((await resumed.trainStepAsync()).loss);
    expect(losses).toEqual(straight.losses);
    for (const [name, w] of Object.entries(resumed.model.namedWeights())) expect(Array.from(w.dataSync()), name).toEqual(straight.weights[name]);
    resumed.dispose();
  }, 120_000);

  it("names the worker and the step when a worker throws, and leaves the weights as they were", async () => {
    const trainer = new Trainer(new Transformer(TINY), SPLIT.train, QUICK, { workers: 2 });
    await trainer.trainStepAsync();
    const before = Array.from(trainer.model.head.dataSync());
    const tooLong = makeBatch(SPLIT.train.slice(0, 16), 14); // 14 tokens: more than the context of 12
    await expect(trainer.trainOnAsync(tooLong)).rejects.toThrow(/Training worker [01] failed during step 2: forward: 14 tokens do not fit the context of 12/);
    expect(trainer.step).toBe(1);
    expect(Array.from(trainer.model.head.dataSync())).toEqual(before);
    await expect(trainer.trainStepAsync()).rejects.toThrow(WorkerError); // and it stays failed, rather than train on with a broken worker
    trainer.dispose();
  }, 120_000);

  it("names the worker and the step when a worker dies during a step", async () => {
    const trainer = new Trainer(new Transformer(TINY), SPLIT.train, QUICK, { workers: 2 });
    await trainer.trainStepAsync();
    const step = trainer.trainStepAsync();
    void trainer.workerPool!.pool.threads[1].terminate(); // as if the system had killed it
    await expect(step).rejects.toThrow(/Training worker 1 stopped \(exit code 1\) during step 2\. The weights are those after the last completed step/);
    expect(trainer.step).toBe(1);
    trainer.dispose();
  }, 120_000);

  it("in runTraining, saves the last completed step before it reports a dead worker", async () => {
    const trainer = new Trainer(new Transformer(TINY), SPLIT.train, { ...QUICK, steps: 50 }, { workers: 2 });
    const p = path.join(dir, "dead-worker.safetensors");
    const run = runTraining(trainer, {
      checkpointPath: p, checkpointEvery: 100, onStep: ({ step }) => {
        if (step === 3) void trainer.workerPool!.pool.threads[0].terminate();
      },
    });
    await expect(run).rejects.toThrow(/Training worker 0 stopped \(exit code 1\) (during|after) step [34]\b.*Saved step 3 to ".*dead-worker\.safetensors"/);
    expect(readSafetensors(p).metadata.step).toBe("3");
    const resumed = Trainer.resume(p, SPLIT.train);
    expect(resumed.step).toBe(3);
    resumed.dispose();
    trainer.dispose();
  }, 120_000);
});
