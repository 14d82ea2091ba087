// Times full training steps (forward, backward, Adam) of lib's model, as Trainer runs them.
//   npm run bench                                  the default model, a readable table
//   npm run bench -- --json --ctx 32 --steps 100   one JSON line per configuration
//   npm run bench -- --sweep                       step time against context length and width
//   npm run bench -- --profile                     where the time goes, kernel by kernel
import * as os from "os";
import * as tf from "@tensorflow/tfjs";
import { BackendName, initBackend } from "../lib/backend";
import { Batch, Problem, allProblems, makeBatch, sequenceIds } from "../lib/data";
import { DEFAULT_CONFIG, ModelConfig, Transformer } from "../lib/model";
import { makeRng, shuffled } from "../lib/random";
import { Trainer, batchLoss } from "../lib/train";
import { FlagValues, UsageError, parseFlags, runMain, wholeNumber } from "./flags";

const FLAGS = {
  json: { kind: "switch", help: "one JSON line per configuration instead of a table" },
  "d-model": { kind: "number", help: "model width D (default 64)" },
  heads: { kind: "number", help: "attention heads H (default 4)" },
  layers: { kind: "number", help: "transformer blocks (default 2)" },
  batch: { kind: "number", help: "sequences per batch B (default 64; --sweep: 1024 tokens / ctx)" },
  ctx: { kind: "number", help: "tokens per sequence T: every batch is padded to this length (default 16)" },
  steps: { kind: "number", help: "timed steps (default 60; --sweep: 10)" },
  warmup: { kind: "number", help: "untimed steps first (default 10; --sweep: 3)" },
  backend: { kind: "string", help: "wasm or cpu (default: as lib/backend chooses)" },
  sweep: { kind: "switch", help: "ctx 8..512 for d-model 64 and 256" },
  profile: { kind: "switch", help: "also time every kernel (tf.profile) of the forward pass and of a whole step" },
} as const;

const USAGE = "Usage: npm run bench -- [--json] [--d-model 64 --heads 4 --layers 2 --batch 64 --ctx 16 --steps 60 --backend wasm|cpu] [--sweep] [--profile]";
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
}

/**
 * Floating-point operations of one training step, counted from the shapes: only the matrix products,
 * 2 * M * K * N each (a multiply and an add), which are nearly all of the work. With N = B * T tokens:
 *   token embedding (one-hot ids times the [V, D] table, as lib computes it)  2 N V D
 *   per block: queries, keys, values, output projection                       4 * 2 N D D
 *              scores q k^T and the weighted sum of values, all T x T pairs    2 * 2 N T D
 *              feed-forward, D -> F -> D                                       2 * 2 N D F
 *   output head                                                               2 N D V
 * The backward pass computes two products per forward product (the input's and the weight's
 * gradient), so a step is 3x the forward pass. Layer norms, softmax, the loss and Adam are left
 * out: they are a few percent of the total at these sizes.
 */
function flopsPerStep(model: ModelConfig, batch: number, ctx: number): number {
  const { vocabSize: V, dModel: D, ffnHidden: F, numLayers } = model;
  const N = batch * ctx;
  const perBlock = 4 * 2 * N * D * D + 2 * 2 * N * ctx * D + 2 * 2 * N * D * F;
  const forward = 2 * N * V * D + numLayers * perBlock + 2 * N * D * V;
  return 3 * forward;
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

/** Batches of `size` problems, each padded to `ctx` tokens; only problems that fit are used. */
function paddedBatches(size: number, ctx: number, count: number): Batch[] {
  const fitting = allProblems().filter((p) => sequenceIds(p).length - 1 <= ctx);
  if (fitting.length === 0) throw new UsageError(`--ctx ${ctx} is shorter than every problem; the shortest needs 6 tokens.`);
  const order = shuffled(fitting, makeRng(0));
  return Array.from({ length: count }, (_, b) => {
    const problems: Problem[] = Array.from({ length: size }, (_, i) => order[(b * size + i) % order.length]);
    return makeBatch(problems, ctx);
  });
}

async function bench(config: BenchConfig, backend: BackendName, profile: boolean) {
  const { dModel, heads, layers, batch, ctx, steps, warmup } = config;
  const model = new Transformer({ dModel, numHeads: heads, numLayers: layers, contextLength: Math.max(ctx, DEFAULT_CONFIG.contextLength) });
  const batches = paddedBatches(batch, ctx, 8);
  const trainer = new Trainer(model, batches[0].problems, { batchSize: batch, steps: warmup + steps });
  for (let i = 0; i < warmup; i++) trainer.trainOn(batches[i % batches.length]);

  const [wall, cpu, forward, gradient, update]: number[][] = [[], [], [], [], []];
  const tensorsBefore = tf.memory().numTensors;
  for (let i = 0; i < steps; i++) {
    const batchNow = batches[i % batches.length];
    const forwardStarted = performance.now();
    tf.tidy(() => batchLoss(model, batchNow).dataSync()); // the forward pass alone, to split the gradient time
    forward.push(performance.now() - forwardStarted);
    const [started, cpuStarted] = [performance.now(), process.cpuUsage()];
    const info = trainer.trainOn(batchNow);
    const cpuUsed = process.cpuUsage(cpuStarted);
    wall.push(performance.now() - started);
    cpu.push((cpuUsed.user + cpuUsed.system) / 1000);
    gradient.push(info.gradientMs);
    update.push(info.updateMs);
  }
  const numTensorsGrowth = tf.memory().numTensors - tensorsBefore;
  const kernels = profile ? await kernelProfile(trainer, batches[0]) : undefined;
  trainer.dispose();

  const msPerStep = median(wall);
  const flops = flopsPerStep(model.config, batch, ctx);
  return {
    backend,
    dModel,
    heads,
    layers,
    batch,
    ctx,
    params: model.numParameters(),
    steps,
    msPerStep: round(msPerStep),
    minMsPerStep: round(Math.min(...wall)),
    cpuMsPerStep: round(median(cpu)), // CPU time of this process: less sensitive to other processes than wall time
    stepsPerSec: round(1000 / msPerStep),
    tokensPerSec: Math.round((batch * ctx * 1000) / msPerStep),
    gflops: round(flops / msPerStep / 1e6),
    flopsPerStep: flops,
    breakdown: {
      forwardMs: round(median(forward)),
      backwardMs: round(Math.max(0, median(gradient) - median(forward))),
      adamMs: round(median(update)),
    },
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
 * Milliseconds and calls per kernel (mean over 5 steps): the forward pass alone and a whole step.
 * The backward pass is roughly the difference. tf.profile also lists composite ops (their time
 * includes their kernels'); only registered kernels are kept, so nothing is counted twice.
 */
async function kernelProfile(trainer: Trainer, batch: Batch): Promise<{ forward: KernelTimes; step: KernelTimes }> {
  const reps = 5;
  const collect = async (run: () => void): Promise<KernelTimes> => {
    const times: KernelTimes = {};
    for (let r = 0; r < reps; r++) {
      const info = await tf.profile(run);
      for (const kernel of info.kernels) {
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
  const forward = await collect(() => tf.tidy(() => batchLoss(trainer.model, batch).dataSync()));
  const step = await collect(() => trainer.trainOn(batch));
  return { forward, step };
}

function printTable(results: Result[]): void {
  const columns: [string, (r: Result) => string | number][] = [
    ["backend", (r) => r.backend],
    ["D", (r) => r.dModel],
    ["H", (r) => r.heads],
    ["L", (r) => r.layers],
    ["B", (r) => r.batch],
    ["T", (r) => r.ctx],
    ["params", (r) => r.params],
    ["ms/step", (r) => r.msPerStep.toFixed(1)],
    ["cpu ms", (r) => r.cpuMsPerStep.toFixed(1)],
    ["fwd", (r) => r.breakdown.forwardMs.toFixed(1)],
    ["bwd", (r) => r.breakdown.backwardMs.toFixed(1)],
    ["adam", (r) => r.breakdown.adamMs.toFixed(1)],
    ["steps/s", (r) => r.stepsPerSec.toFixed(1)],
    ["tokens/s", (r) => r.tokensPerSec],
    ["GFLOP/s", (r) => r.gflops.toFixed(1)],
    ["tensors+", (r) => r.numTensorsGrowth],
  ];
  const cells = [columns.map(([title]) => title), ...results.map((r) => columns.map(([, cell]) => String(cell(r))))];
  const widths = columns.map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  for (const row of cells) console.log(row.map((cell, c) => cell.padStart(widths[c])).join("  "));
  console.log(`(median of ${results[0].steps} steps; fwd/bwd/adam split a step; load average ${results[results.length - 1].loadAverage} on ${os.cpus().length} cores)`);
  for (const r of results) {
    if (!r.kernels) continue;
    for (const [phase, times] of Object.entries(r.kernels)) {
      console.log(`\nkernels, ${phase === "step" ? "whole step" : "forward pass alone"} (D ${r.dModel}, B ${r.batch}, T ${r.ctx}), ms per step:`);
      for (const [name, { ms, calls }] of Object.entries(times).slice(0, 15)) console.log(`  ${ms.toFixed(2).padStart(7)}  ${String(calls).padStart(4)}x  ${name}`);
    }
  }
}

function configsFrom(flags: FlagValues<typeof FLAGS>): BenchConfig[] {
  const sweep = flags.sweep ?? false;
  const base = {
    dModel: wholeNumber("d-model", flags["d-model"] ?? DEFAULT_CONFIG.dModel),
    heads: wholeNumber("heads", flags.heads ?? DEFAULT_CONFIG.numHeads),
    layers: wholeNumber("layers", flags.layers ?? DEFAULT_CONFIG.numLayers),
    batch: wholeNumber("batch", flags.batch ?? 64),
    ctx: wholeNumber("ctx", flags.ctx ?? 16),
    steps: wholeNumber("steps", flags.steps ?? (sweep ? 10 : 60)),
    warmup: wholeNumber("warmup", flags.warmup ?? (sweep ? 3 : 10), 0),
  };
  if (base.dModel % base.heads !== 0) throw new UsageError(`--heads ${base.heads} must divide --d-model ${base.dModel}.`);
  if (!sweep) return [base];
  return SWEEP_WIDTHS.flatMap((dModel) =>
    SWEEP_CONTEXTS.map((ctx) => ({ ...base, dModel, ctx, batch: flags.batch ?? Math.max(1, Math.round(SWEEP_TOKENS / ctx)) })),
  );
}

runMain(async () => {
  const flags = parseFlags(process.argv.slice(2), FLAGS, USAGE);
  if (flags.backend !== undefined && flags.backend !== "wasm" && flags.backend !== "cpu") {
    throw new UsageError(`--backend must be "wasm" or "cpu", got "${flags.backend}".`);
  }
  const configs = configsFrom(flags);
  const backend = await initBackend(flags.backend as BackendName | undefined);
  const results: Result[] = [];
  for (const config of configs) {
    const result = await bench(config, backend, flags.profile ?? false);
    results.push(result);
    if (flags.json) console.log(JSON.stringify(result));
  }
  if (!flags.json) printTable(results);
});
