// Data-parallel training on worker threads: the same losses and weights, bit for bit, for any
// number of workers (and in this thread); clear errors when a worker fails; resume across worker
// counts; tensors flat in every worker.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allProblems, splitProblems } from "../lib/data";
import { ModelConfig, Transformer } from "../lib/model";
import { TrainConfig, Trainer } from "../lib/train";
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
});
