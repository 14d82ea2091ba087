// Long runs do not pile up memory: 1,000 training steps (with evaluations and checkpoints, as in
// notebook 6) and hundreds of forward / answer / evaluate / load calls leave tfjs holding the same
// tensors, and the process's JS heap and resident memory stay within a loose bound; so do 1,000
// steps on two worker threads, in each worker. The numbers are printed, so a slow leak shows up in
// the log before it breaks the bound. These runs take half a minute, so they belong to the
// integration project (`npm test`), not to `npm run test:unit`.
import * as tf from "@tensorflow/tfjs";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCheckpoint, saveCheckpoint } from "../lib/training/checkpoint";
import { allProblems, makeBatch, promptIds, splitProblems } from "../lib/data";
import { answer, evaluate, generateIds } from "../lib/generate";
import { Transformer } from "../lib/model";
import { WorkerTiming } from "../lib/training/shards";
import { batchLoss } from "../lib/loss";
import { Trainer, runTraining } from "../lib/train";
import { useBackend } from "./helpers";

useBackend();

const SPLIT = splitProblems(allProblems(), 0.1, 0);
const SMALL = { dModel: 16, numHeads: 2, numLayers: 1, contextLength: 12, seed: 0 };
const STEPS = 1000;
const MB = 1024 * 1024;
// Loose: V8 collects garbage when it likes, so the heap moves by tens of MB without a leak. A leak of
// one small tensor or array per step (a few KB) over 1,000 steps would still show in the tensor counts.
const HEAP_BOUND_MB = 64;
const RSS_BOUND_MB = 128;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "memory-test-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Sample {
  step: number;
  numTensors: number;
  tensorBytes: number;
  heapMB: number;
  rssMB: number;
}

function sample(step: number): Sample {
  (globalThis as { gc?: () => void }).gc?.(); // only when node runs with --expose-gc
  const { numTensors, numBytes } = tf.memory();
  const { heapUsed, rss } = process.memoryUsage();
  return { step, numTensors, tensorBytes: numBytes, heapMB: heapUsed / MB, rssMB: rss / MB };
}

const describeSamples = (samples: Sample[]) =>
  samples.map((s) => `step ${s.step}: ${s.numTensors} tensors (${s.tensorBytes} bytes), heap ${s.heapMB.toFixed(1)} MB, RSS ${s.rssMB.toFixed(1)} MB`).join("\n");

describe("memory over long runs", () => {
  it(`stays flat over ${STEPS} training steps with evaluations and checkpoints`, async () => {
    const trainer = new Trainer(new Transformer(SMALL), SPLIT.train, { steps: STEPS, batchSize: 16, learningRate: 3e-3, warmupSteps: 50, seed: 0 });
    const samples: Sample[] = [];
    const sampledSteps = new Set([1, 10, 100, 250, 500, 750, STEPS]);
    const started = Date.now();
    await runTraining(trainer, {
      test: SPLIT.test.slice(0, 64), evalEvery: 100, checkpointPath: path.join(dir, "long.safetensors"), checkpointEvery: 250,
      onStep: ({ step }) => {
        if (sampledSteps.has(step)) samples.push(sample(step));
      },
    });
    const at = (step: number) => samples.find((s) => s.step === step)!;
    console.log(`${STEPS} steps in ${((Date.now() - started) / 1000).toFixed(1)} s:\n${describeSamples(samples)}`);
    expect(trainer.step).toBe(STEPS);
    for (const s of samples.filter((s) => s.step >= 10)) {
      expect(s.numTensors, `tensors at step ${s.step} (step 10 had ${at(10).numTensors})`).toBe(at(10).numTensors);
      expect(s.tensorBytes, `tensor bytes at step ${s.step}`).toBe(at(10).tensorBytes);
    }
    expect(at(STEPS).heapMB - at(100).heapMB, "JS heap growth from step 100 to the end, MB").toBeLessThan(HEAP_BOUND_MB);
    expect(at(STEPS).rssMB - at(100).rssMB, "resident memory growth from step 100 to the end, MB").toBeLessThan(RSS_BOUND_MB);
    trainer.dispose();
  }, 300_000);

  it("stays flat over repeated forward, loss, answer, generate, evaluate and checkpoint load calls", () => {
    const model = new Transformer(SMALL);
    const batch = makeBatch(SPLIT.test.slice(0, 32));
    const questions = SPLIT.test.slice(0, 20).map((p) => p.question);
    const checkpointPath = path.join(dir, "model.safetensors");
    saveCheckpoint(checkpointPath, model);
    const round = () => {
      for (let i = 0; i < 20; i++) {
        const { logits, attention } = model.forward(batch.inputs);
        tf.dispose([logits, ...attention]);
        batchLoss(model, batch).dispose();
      }
      for (const q of questions) answer(model, q);
      generateIds(model, questions.slice(0, 8).filter((q) => promptIds(q).length === promptIds(questions[0]).length).map(promptIds));
      evaluate(model, SPLIT.test.slice(0, 100));
      loadCheckpoint(checkpointPath).model.dispose();
    };
    round(); // warm-up: the first calls may set up kernels and caches
    const samples = [sample(0)];
    for (let r = 1; r <= 10; r++) {
      round();
      if (r % 5 === 0) samples.push(sample(r));
    }
    console.log(`10 rounds of 20 forward + 20 loss + 20 answer + 1 generate + 1 evaluate (100 problems) + 1 checkpoint load:\n` +
      describeSamples(samples).replace(/step/g, "round"));
    const [first, last] = [samples[0], samples[samples.length - 1]];
    expect(last.numTensors).toBe(first.numTensors);
    expect(last.tensorBytes).toBe(first.tensorBytes);
    expect(last.heapMB - first.heapMB, "JS heap growth, MB").toBeLessThan(HEAP_BOUND_MB);
    expect(last.rssMB - first.rssMB, "resident memory growth, MB").toBeLessThan(RSS_BOUND_MB);
    model.dispose();
  }, 300_000);

  it(`keeps tensors and heap flat in every worker thread over ${STEPS} steps`, async () => {
    const trainer = new Trainer(new Transformer(SMALL), SPLIT.train, { steps: STEPS, batchSize: 8, shards: 2, learningRate: 1e-2, warmupSteps: 2, seed: 0 }, { workers: 2 });
    const samples: { step: number; workers: WorkerTiming[] }[] = [];
    await runTraining(trainer, {
      onStep: ({ step, workers }) => {
        if ([250, 500, 750, STEPS].includes(step)) samples.push({ step, workers: workers! }); // the workers collect garbage first on these steps
      },
    });
    console.log(samples.map(({ step, workers }) => `step ${step}: ${workers.map((w) => `worker ${w.worker} ${w.numTensors} tensors, heap ${w.heapMB.toFixed(1)} MB`).join("; ")}`).join("\n"));
    expect(samples.map((s) => s.step)).toEqual([250, 500, 750, STEPS]);
    const [first, ...later] = samples;
    for (const { step, workers } of later) {
      workers.forEach((w, i) => {
        expect(w.numTensors, `worker ${i} tensors at step ${step}`).toBe(first.workers[i].numTensors);
        expect(w.heapMB - first.workers[i].heapMB, `worker ${i} heap growth to step ${step}, MB`).toBeLessThan(8); // measured after a full collection
      });
    }
    trainer.dispose();
  }, 600_000);
});
