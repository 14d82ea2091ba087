// Times full training steps (forward, backward, Adam) of lib's model, as Trainer runs them.
//   npm run bench                                  the default model, a readable table
//   npm run bench -- --json --ctx 32 --steps 100   one JSON line per configuration
//   npm run bench -- --workers 2                   on 2 worker threads (default: one per core, up to the shards)
//   npm run bench -- --sweep                       0, 1, 2 and 4 workers, then context 8..512 at width 64 and 256
//   npm run bench -- --profile                     where the time goes, kernel by kernel
import * as os from "os";
import * as tf from "@tensorflow/tfjs";
import { BackendName, initBackend } from "../lib/backend";
import { Batch, Problem, allProblems, makeBatch, sequenceIds } from "../lib/data";
import { WorkerTiming, defaultWorkerCount } from "../lib/gradients";
import { DEFAULT_CONFIG, ModelConfig, Transformer } from "../lib/model";
import { makeRng, shuffled } from "../lib/random";
import { DEFAULT_TRAIN_CONFIG, Trainer, batchLoss } from "../lib/train";
import { FlagName, UsageError, parseFlags, runMain } from "./flags";

const FLAG_NAMES = ["json", "d-model", "heads", "layers", "batch", "ctx", "steps", "warmup", "workers", "shards", "backend", "sweep", "profile"] as const satisfies readonly FlagName[];
const USAGE = "Usage: npm run bench -- [--json] [--d-model 64 --heads 4 --layers 2 --batch 64 --ctx 16 --steps 60 --workers N --backend wasm|cpu] [--sweep] [--profile]";
const SWEEP_WORKERS = [0, 1, 2, 4];
const SWEEP_CONTEXTS = [8, 16, 32, 64, 128, 256, 512];
const SWEEP_WIDTHS = [64, 256];
const SWEEP_TOKENS = 1024; // per batch, unless --batch is given: B = 1024 / T keeps the work per token comparable

interface BenchConfig {
  dModel: number;
  heads: number;
  layers: number;
  batch: number;
  ctx: number;
  steps: number;
  warmup: number;
  workers: number;
  shards: number;
}

/**
 * Floating-point operations of one training step, counted from the shapes: only the matrix products,
 * 2 * M * K * N each, which are nearly all of the work. With N = B * T tokens: the token embedding
 * 2 N V D (one-hot ids times the table), per block 4 * 2 N D D (q, k, v, output projection) +
 * 2 * 2 N T D (scores and the weighted sum) + 2 * 2 N D F (feed-forward), the head 2 N D V. The
 * backward pass computes two products per forward product, so a step is 3x the forward pass.
 */
function flopsPerStep(model: ModelConfig, batch: number, ctx: number): number {
  const { vocabSize: V, dModel: D, ffnHidden: F, numLayers } = model;
  const N = batch * ctx;
  const perBlock = 4 * 2 * N * D * D + 2 * 2 * N * ctx * D + 2 * 2 * N * D * F;
  return 3 * (2 * N * V * D + numLayers * perBlock + 2 * N * D * V);
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

/** Batches of `size` problems, each padded to `ctx` tokens; only problems that fit are used. */
function paddedBatches(size: number, ctx: number, count: number): Batch[] {
  const fitting = allProblems().filter((p) => sequenceIds(p).length - 1 <= ctx);
  if (fitting.length === 0) throw new UsageError(`--ctx ${ctx} is shorter than every problem; the shortest needs 6 tokens.`);
  const order = shuffled(fitting, makeRng(0));
  return Array.from({ length: count }, (_, b) => makeBatch(Array.from({ length: size }, (_, i): Problem => order[(b * size + i) % order.length]), ctx));
}

async function bench(config: BenchConfig, backend: BackendName, profile: boolean) {
  const { dModel, heads, layers, batch, ctx, steps, warmup, workers, shards } = config;
  const model = new Transformer({ dModel, numHeads: heads, numLayers: layers, contextLength: Math.max(ctx, DEFAULT_CONFIG.contextLength) });
  const batches = paddedBatches(batch, ctx, 8);
  const trainer = new Trainer(model, batches[0].problems, { batchSize: batch, steps: warmup + steps, shards }, { workers });
  const startupMs = await trainer.ready();
  for (let i = 0; i < warmup; i++) await trainer.trainOnAsync(batches[i % batches.length]);

  const [wall, cpu, forward, gradient, update]: number[][] = [[], [], [], [], []];
  const perWorker: WorkerTiming[][] = [];
  const tensorsBefore = tf.memory().numTensors;
  for (let i = 0; i < steps; i++) {
    const batchNow = batches[i % batches.length];
    const forwardStarted = performance.now();
    tf.tidy(() => batchLoss(model, batchNow).dataSync()); // the forward pass alone, in this thread, to split the gradient time
    forward.push(performance.now() - forwardStarted);
    const [started, cpuStarted] = [performance.now(), process.cpuUsage()];
    const info = await trainer.trainOnAsync(batchNow);
    const cpuUsed = process.cpuUsage(cpuStarted); // every thread of the process
    wall.push(performance.now() - started);
    cpu.push((cpuUsed.user + cpuUsed.system) / 1000);
    gradient.push(info.gradientMs);
    update.push(info.updateMs);
    if (info.workers) perWorker.push(info.workers);
  }
  const numTensorsGrowth = tf.memory().numTensors - tensorsBefore;
  const kernels = profile ? await kernelProfile(trainer, batches[0]) : undefined;
  trainer.dispose();

  const msPerStep = median(wall);
  const flops = flopsPerStep(model.config, batch, ctx);
  const workerBreakdown = (perWorker[0] ?? []).map((_, w) => ({
    worker: w,
    shards: perWorker[0][w].shards,
    loadMs: round(median(perWorker.map((step) => step[w].loadMs))), // the new weights into its variables
    gradientMs: round(median(perWorker.map((step) => step[w].gradientMs))), // forward and backward of its shards
    numTensors: perWorker[perWorker.length - 1][w].numTensors,
    heapMB: round(perWorker[perWorker.length - 1][w].heapMB, 1),
  }));
  const busiest = median(perWorker.map((step) => Math.max(...step.map((w) => w.loadMs + w.gradientMs))));
  return {
    backend, dModel, heads, layers, batch, ctx, workers, shards,
    params: model.numParameters(),
    steps,
    msPerStep: round(msPerStep),
    minMsPerStep: round(Math.min(...wall)),
    cpuMsPerStep: round(median(cpu)), // CPU time of the process's threads: less sensitive to other processes than wall time
    stepsPerSec: round(1000 / msPerStep),
    tokensPerSec: Math.round((batch * ctx * 1000) / msPerStep),
    gflops: Number((flops / msPerStep / 1e6).toPrecision(3)),
    flopsPerStep: flops,
    breakdown: {
      forwardMs: round(median(forward)),
      backwardMs: round(Math.max(0, median(gradient) - median(forward))),
      adamMs: round(median(update)), // summing the shards' gradients and the Adam update
      ...(workers > 0 ? { exchangeMs: round(Math.max(0, median(gradient) - busiest)) } : {}), // messages and waiting, beyond the busiest worker
    },
    ...(workers > 0 ? { startupMs: Math.round(startupMs), perWorker: workerBreakdown } : {}),
    numTensorsGrowth,
    numTensors: tf.memory().numTensors,
    rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
    loadAverage: round(os.loadavg()[0]), // other processes on the machine, averaged over a minute
    ...(kernels ? { kernels } : {}),
  };
}

type Result = Awaited<ReturnType<typeof bench>>;
type KernelTimes = Record<string, { ms: number; calls: number }>;

/**
 * Milliseconds and calls per kernel (mean over 5 steps, in this thread): the forward pass alone and
 * a whole step. tf.profile also lists composite ops; only registered kernels are kept.
 */
async function kernelProfile(trainer: Trainer, batch: Batch): Promise<{ forward: KernelTimes; step: KernelTimes }> {
  const reps = 5;
  const collect = async (run: () => void): Promise<KernelTimes> => {
    const times: KernelTimes = {};
    for (let r = 0; r < reps; r++) {
      for (const kernel of (await tf.profile(run)).kernels) {
        if (!tf.getKernel(kernel.name, tf.getBackend())) continue;
        const ms = await kernel.kernelTimeMs; // a number, or { error } where the backend has no timer
        const entry = (times[kernel.name] ??= { ms: 0, calls: 0 });
        entry.ms += (typeof ms === "number" ? ms : NaN) / reps;
        entry.calls += 1 / reps;
      }
    }
    const sorted = Object.entries(times).sort(([, a], [, b]) => b.ms - a.ms);
    return Object.fromEntries(sorted.map(([name, { ms, calls }]) => [name, { ms: round(ms, 3), calls: Math.round(calls) }]));
  };
  return { forward: await collect(() => tf.tidy(() => batchLoss(trainer.model, batch).dataSync())), step: await collect(() => trainer.trainOn(batch)) };
}

function printTable(results: Result[]): void {
  const columns: [string, (r: Result) => string | number][] = [
    ["backend", (r) => r.backend], ["D", (r) => r.dModel], ["H", (r) => r.heads], ["L", (r) => r.layers], ["B", (r) => r.batch], ["T", (r) => r.ctx],
    ["workers", (r) => r.workers], ["shards", (r) => r.shards], ["params", (r) => r.params],
    ["ms/step", (r) => r.msPerStep.toFixed(1)], ["cpu ms", (r) => r.cpuMsPerStep.toFixed(1)],
    ["fwd", (r) => r.breakdown.forwardMs.toFixed(1)], ["bwd", (r) => r.breakdown.backwardMs.toFixed(1)], ["adam", (r) => r.breakdown.adamMs.toFixed(1)],
    ["steps/s", (r) => r.stepsPerSec.toFixed(1)], ["tokens/s", (r) => r.tokensPerSec], ["GFLOP/s", (r) => r.gflops.toFixed(1)], ["tensors+", (r) => r.numTensorsGrowth],
  ];
  const cells = [columns.map(([title]) => title), ...results.map((r) => columns.map(([, cell]) => String(cell(r))))];
  const widths = columns.map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  for (const row of cells) console.log(row.map((cell, c) => cell.padStart(widths[c])).join("  "));
  console.log(`(median of ${results[0].steps} steps; fwd/bwd/adam split a step; load average ${results[results.length - 1].loadAverage} on ${os.cpus().length} cores)`);
  for (const r of results) {
    if (r.perWorker) console.log(`workers (T ${r.ctx}): started in ${r.startupMs} ms; ${r.perWorker.map((w) => `#${w.worker} ${w.shards} shards, load ${w.loadMs} ms, gradients ${w.gradientMs} ms`).join("; ")}`);
    for (const [phase, times] of Object.entries(r.kernels ?? {})) {
      console.log(`\nkernels, ${phase === "step" ? "whole step" : "forward pass alone"} (D ${r.dModel}, B ${r.batch}, T ${r.ctx}), ms per step:`);
      for (const [name, { ms, calls }] of Object.entries(times).slice(0, 15)) console.log(`  ${ms.toFixed(2).padStart(7)}  ${String(calls).padStart(4)}x  ${name}`);
    }
  }
}

runMain(async () => {
  const flags = parseFlags(process.argv.slice(2), FLAG_NAMES, USAGE);
  if (flags.backend !== undefined && flags.backend !== "wasm" && flags.backend !== "cpu") throw new UsageError(`--backend must be "wasm" or "cpu", got "${flags.backend}".`);
  const shards = flags.shards ?? DEFAULT_TRAIN_CONFIG.shards;
  const base: BenchConfig = {
    dModel: flags["d-model"] ?? DEFAULT_CONFIG.dModel, heads: flags.heads ?? DEFAULT_CONFIG.numHeads, layers: flags.layers ?? DEFAULT_CONFIG.numLayers,
    batch: flags.batch ?? 64, ctx: flags.ctx ?? 16, steps: flags.steps ?? (flags.sweep ? 20 : 60), warmup: flags.warmup ?? (flags.sweep ? 3 : 10),
    workers: flags.workers ?? defaultWorkerCount(shards), shards,
  };
  if (base.dModel % base.heads !== 0) throw new UsageError(`--heads ${base.heads} must divide --d-model ${base.dModel}.`);
  const configs = !flags.sweep ? [base] : [
    ...SWEEP_WORKERS.map((workers) => ({ ...base, workers, shards: Math.max(shards, workers) })),
    ...SWEEP_WIDTHS.flatMap((dModel) => SWEEP_CONTEXTS.map((ctx) => ({ ...base, dModel, ctx, batch: flags.batch ?? Math.max(base.shards, Math.round(SWEEP_TOKENS / ctx)) }))),
  ];
  const backend = await initBackend(flags.backend as BackendName | undefined);
  const results: Result[] = [];
  for (const config of configs) {
    const result = await bench(config, backend, flags.profile ?? false);
    results.push(result);
    if (flags.json) console.log(JSON.stringify(result));
  }
  if (!flags.json) printTable(results);
});
