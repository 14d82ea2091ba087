// Times full training steps (forward, backward, Adam) of lib's model, as Trainer runs them.
//   npm run bench                                  the default model, a table
//   npm run bench -- --json --ctx 32 --steps 100   one JSON line per configuration
//   npm run bench -- --workers 2                   on 2 worker threads (default: one per core, up to the shards)
//   npm run bench -- --sweep                       SWEEP_WORKERS, then SWEEP_CONTEXTS at SWEEP_WIDTHS
//   npm run bench -- --profile                     where the time goes, kernel by kernel
import * as os from "os";
import * as tf from "@tensorflow/tfjs";
import { BackendName, initBackend } from "../lib/fast/backend";
import { Batch, Problem, allProblems, makeBatch, sequenceIds } from "../lib/data";
import { WorkerTiming, defaultWorkerCount } from "../lib/training/shards";
import { DEFAULT_CONFIG, Transformer } from "../lib/model";
import { makeRng, shuffled } from "../lib/random";
import { batchLoss } from "../lib/loss";
import { DEFAULT_TRAIN_CONFIG, Trainer } from "../lib/train";
import { FlagName, FlagValues, OwnHelp, UsageError, parseFlags, runMain } from "./flags";

const FLAG_NAMES = ["json", "d-model", "heads", "layers", "batch", "ctx", "steps", "warmup", "workers", "shards", "backend", "sweep", "profile"] as const satisfies readonly FlagName[];
const USAGE = "Usage: npm run bench -- [--json] [--d-model D --heads H --layers L --batch B --ctx T --steps N --workers N --backend wasm|cpu] [--sweep] [--profile]";
const TIMED = { steps: 60, warmup: 10 }; // timed steps, after untimed warm-up steps
const SWEEP_TIMED = { steps: 20, warmup: 3 }; // per configuration of a sweep
const OWN_HELP: OwnHelp<(typeof FLAG_NAMES)[number]> = {
  steps: { help: "timed steps", default: `${TIMED.steps}; ${SWEEP_TIMED.steps} with --sweep` },
  warmup: { help: "untimed steps first", default: `${TIMED.warmup}; ${SWEEP_TIMED.warmup} with --sweep` },
};
const SWEEP_WORKERS = [0, 1, 2, 4];
const SWEEP_CONTEXTS = [8, 16, 32, 64, 128, 256, 512];
const SWEEP_WIDTHS = [64, 256];
const SWEEP_TOKENS = 1024; // per batch, unless --batch is given: B = 1024 / T keeps the work per token comparable

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

/** Batches of `size` problems, each padded to `ctx` tokens; only problems that fit are used. */
function paddedBatches(size: number, ctx: number, count: number): Batch[] {
  const lengths = allProblems().map((p) => sequenceIds(p).length - 1);
  const fitting = allProblems().filter((_, i) => lengths[i] <= ctx);
  if (fitting.length === 0) throw new UsageError(`--ctx ${ctx} is shorter than every problem; the shortest needs ${Math.min(...lengths)} tokens.`);
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
  const last = perWorker[perWorker.length - 1] ?? [];
  const workerBreakdown = last.map(({ worker, shards, numTensors, heapMB }) => ({
    worker, shards,
    loadMs: round(median(perWorker.map((step) => step[worker].loadMs))), // the new weights into its variables
    gradientMs: round(median(perWorker.map((step) => step[worker].gradientMs))), // forward and backward of its shards
    numTensors, heapMB: round(heapMB, 1),
  }));
  const busiest = median(perWorker.map((step) => Math.max(...step.map((w) => w.loadMs + w.gradientMs))));
  return {
    backend, dModel, heads, layers, batch, ctx, workers, shards,
    params: model.numParameters(),
    steps,
    msPerStep: round(msPerStep),
    cpuMsPerStep: round(median(cpu)), // CPU time of the process's threads: less sensitive to other processes than wall time
    tokensPerSec: Math.round((batch * ctx * 1000) / msPerStep),
    breakdown: {
      forwardMs: round(median(forward)),
      backwardMs: round(Math.max(0, median(gradient) - median(forward))),
      adamMs: round(median(update)), // summing the shards' gradients and the Adam update
      ...(workers > 0 ? { exchangeMs: round(Math.max(0, median(gradient) - busiest)) } : {}), // messages and waiting, beyond the busiest worker
    },
    ...(workers > 0 ? { startupMs: Math.round(startupMs), perWorker: workerBreakdown } : {}),
    numTensorsGrowth,
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

function printTables(results: Result[]): void {
  console.table(results.map((r) => ({
    backend: r.backend, D: r.dModel, H: r.heads, L: r.layers, B: r.batch, T: r.ctx, workers: r.workers, shards: r.shards, params: r.params,
    "ms/step": r.msPerStep, "cpu ms": r.cpuMsPerStep, fwd: r.breakdown.forwardMs, bwd: r.breakdown.backwardMs, adam: r.breakdown.adamMs,
    "tokens/s": r.tokensPerSec, "tensors+": r.numTensorsGrowth,
  })));
  console.log(`(median of ${results[0].steps} steps; fwd/bwd/adam split a step; load average ${results[results.length - 1].loadAverage} on ${os.cpus().length} cores)`);
  for (const r of results) {
    if (r.perWorker) console.log(`workers (T ${r.ctx}): started in ${r.startupMs} ms; ${r.perWorker.map((w) => `#${w.worker} ${w.shards} shards, load ${w.loadMs} ms, gradients ${w.gradientMs} ms`).join("; ")}`);
    for (const [phase, times] of Object.entries(r.kernels ?? {})) {
      console.log(`\nkernels, ${phase === "step" ? "whole step" : "forward pass alone"} (D ${r.dModel}, B ${r.batch}, T ${r.ctx}), ms per step:`);
      console.table(Object.fromEntries(Object.entries(times).slice(0, 15)));
    }
  }
}

/** The configuration the flags ask for (the first of a sweep). */
function configFrom(flags: FlagValues<(typeof FLAG_NAMES)[number]>) {
  const shards = flags.shards ?? DEFAULT_TRAIN_CONFIG.shards;
  const timed = flags.sweep ? SWEEP_TIMED : TIMED;
  const config = {
    dModel: flags["d-model"] ?? DEFAULT_CONFIG.dModel, heads: flags.heads ?? DEFAULT_CONFIG.numHeads, layers: flags.layers ?? DEFAULT_CONFIG.numLayers,
    batch: flags.batch ?? DEFAULT_TRAIN_CONFIG.batchSize, ctx: flags.ctx ?? DEFAULT_CONFIG.contextLength, steps: flags.steps ?? timed.steps, warmup: flags.warmup ?? timed.warmup,
    workers: flags.workers ?? defaultWorkerCount(shards), shards,
  };
  if (config.dModel % config.heads !== 0) throw new UsageError(`--heads ${config.heads} must divide --d-model ${config.dModel}.`);
  return config;
}
type BenchConfig = ReturnType<typeof configFrom>;

runMain(async () => {
  const flags = parseFlags(process.argv.slice(2), FLAG_NAMES, USAGE, OWN_HELP);
  if (flags.backend !== undefined && flags.backend !== "wasm" && flags.backend !== "cpu") throw new UsageError(`--backend must be "wasm" or "cpu", got "${flags.backend}".`);
  const base = configFrom(flags);
  const configs = !flags.sweep ? [base] : [
    ...SWEEP_WORKERS.map((workers) => ({ ...base, workers, shards: Math.max(base.shards, workers) })),
    ...SWEEP_WIDTHS.flatMap((dModel) => SWEEP_CONTEXTS.map((ctx) => ({ ...base, dModel, ctx, batch: flags.batch ?? Math.max(base.shards, Math.round(SWEEP_TOKENS / ctx)) }))),
  ];
  const backend = await initBackend(flags.backend as BackendName | undefined);
  const results: Result[] = [];
  for (const config of configs) {
    results.push(await bench(config, backend, flags.profile ?? false));
    if (flags.json) console.log(JSON.stringify(results[results.length - 1]));
  }
  if (!flags.json) printTables(results);
});
