// Trains the word calculator from the terminal, with lib's model, recipe and checkpoints.
//   npm run train                                      all four operations, the default recipe
//   npm run train -- --ops plus,minus --steps 2000     a smaller run
//   npm run train -- --json > log.jsonl                one JSON line per evaluation
//   npm run train -- --resume checkpoints/calculator.safetensors   continue a stopped run
// Ctrl-C stops after the current step and saves a checkpoint that --resume continues from.
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { BackendName, initBackend } from "../lib/backend";
import { OPERATIONS, Operation, Problem, Split, allProblems, splitProblems } from "../lib/data";
import { defaultWorkerCount } from "../lib/gradients";
import { ATTEND_TO, AttendTo, DEFAULT_CONFIG, Transformer } from "../lib/model";
import { readSafetensors } from "../lib/safetensors";
import { DEFAULT_TRAIN_CONFIG, EvalInfo, StepInfo, TrainConfig, Trainer, runTraining } from "../lib/train";
import { FlagValues, UsageError, parseFlags, runMain, wholeNumber } from "./flags";

const FLAGS = {
  ops: { kind: "string", help: `operations to learn, comma-separated (default ${OPERATIONS.join(",")})` },
  steps: { kind: "number", help: `total steps; the learning-rate schedule ends there (default ${DEFAULT_TRAIN_CONFIG.steps})` },
  "time-budget": { kind: "number", help: "stop after this many seconds of training (evaluations do not count)" },
  seed: { kind: "number", help: "initial weights, held-out split and batch order (default 0)" },
  batch: { kind: "number", help: `sequences per step (default ${DEFAULT_TRAIN_CONFIG.batchSize})` },
  lr: { kind: "number", help: `peak learning rate (default ${DEFAULT_TRAIN_CONFIG.learningRate})` },
  warmup: { kind: "number", help: `warm-up steps (default ${DEFAULT_TRAIN_CONFIG.warmupSteps})` },
  "min-lr": { kind: "number", help: `learning rate at the end of the schedule (default ${DEFAULT_TRAIN_CONFIG.minLearningRate})` },
  oversample: { kind: "string", help: `op=count,...: how often every epoch shows each problem of an operation (default ${formatRepeats(DEFAULT_TRAIN_CONFIG.oversample) || "none"})` },
  "weight-decay": { kind: "number", help: `AdamW weight decay of the weight matrices (default ${DEFAULT_TRAIN_CONFIG.weightDecay})` },
  shards: { kind: "number", help: `parts each batch is cut into, their gradients summed in order (default ${DEFAULT_TRAIN_CONFIG.shards})` },
  heads: { kind: "number", help: `attention heads (default ${DEFAULT_CONFIG.numHeads})` },
  layers: { kind: "number", help: `transformer blocks (default ${DEFAULT_CONFIG.numLayers})` },
  "d-model": { kind: "number", help: `model width D (default ${DEFAULT_CONFIG.dModel})` },
  "attend-to": { kind: "string", help: `${ATTEND_TO.join(", ")}: which positions a token attends to (default ${DEFAULT_CONFIG.attendTo})` },
  "no-residual": { kind: "switch", help: "blocks without residual connections" },
  norm: { kind: "string", help: `pre or post: where the layer norms sit (default ${DEFAULT_CONFIG.norm})` },
  workers: { kind: "number", help: "worker threads that compute the gradients; 0 = this thread (default: one per core, at most one per shard)" },
  "eval-every": { kind: "number", help: "steps between evaluations on the held-out problems (default 250)" },
  json: { kind: "switch", help: "print one JSON line per evaluation instead of a progress bar" },
  out: { kind: "string", help: "checkpoint file, saved every 500 steps, at the end and on Ctrl-C (default checkpoints/calculator.safetensors, or the --resume file)" },
  resume: { kind: "string", help: "continue the run saved in this checkpoint, with its settings" },
  backend: { kind: "string", help: "wasm or cpu (default: as lib/backend chooses)" },
} as const;

const USAGE = "Usage: npm run train -- [--ops plus,minus,times,divided] [--steps N] [--time-budget S] [--seed K] [--json] [--out file] [--resume file]";
const DEFAULT_OUT = "checkpoints/calculator.safetensors";
const RECIPE_FLAGS = ["steps", "seed", "batch", "lr", "warmup", "min-lr", "oversample", "weight-decay", "shards"] as const; // saved in a checkpoint
const MODEL_FLAGS = ["heads", "layers", "d-model", "attend-to", "no-residual", "norm"] as const; // so is the model

function parseOperations(text: string): Operation[] {
  const ops = text.split(",").map((op) => op.trim());
  for (const op of ops) {
    if (!OPERATIONS.includes(op as Operation)) throw new UsageError(`--ops: unknown operation "${op}"; valid operations are ${OPERATIONS.join(", ")}.`);
  }
  return [...new Set(ops as Operation[])];
}

function parseRepeats(text: string): TrainConfig["oversample"] {
  const repeats: TrainConfig["oversample"] = {};
  for (const part of text.split(",").filter((p) => p.trim() !== "")) {
    const [op, count] = part.split("=").map((s) => s.trim());
    if (!OPERATIONS.includes(op as Operation)) throw new UsageError(`--oversample: unknown operation "${op}"; valid operations are ${OPERATIONS.join(", ")}.`);
    repeats[op as Operation] = wholeNumber(`oversample ${op}`, Number(count));
  }
  return repeats;
}

function formatRepeats(repeats: TrainConfig["oversample"]): string {
  return Object.entries(repeats).map(([op, count]) => `${op}=${count}`).join(",");
}

/** The held-out split of all four operations (so it does not depend on --ops), then only the chosen ones. */
function splitFor(ops: readonly Operation[], seed: number): Split {
  const { train, test } = splitProblems(allProblems(), 0.1, seed);
  const chosen = (p: Problem) => ops.includes(p.op);
  return { train: train.filter(chosen), test: test.filter(chosen) };
}

/** The model the flags ask for; makeConfig names any bad value. */
function modelFrom(flags: FlagValues<typeof FLAGS>, seed: number): Transformer {
  const norm = flags.norm ?? DEFAULT_CONFIG.norm;
  if (norm !== "pre" && norm !== "post") throw new UsageError(`--norm must be "pre" or "post", got "${norm}".`);
  const attendTo = (flags["attend-to"] ?? DEFAULT_CONFIG.attendTo) as AttendTo;
  if (!ATTEND_TO.includes(attendTo)) throw new UsageError(`--attend-to must be ${ATTEND_TO.join(", ")}, got "${attendTo}".`);
  const numHeads = wholeNumber("heads", flags.heads ?? DEFAULT_CONFIG.numHeads);
  const dModel = wholeNumber("d-model", flags["d-model"] ?? DEFAULT_CONFIG.dModel);
  if (dModel % numHeads !== 0) throw new UsageError(`--heads ${numHeads} must divide --d-model ${dModel}.`);
  return new Transformer({ seed, numHeads, dModel, numLayers: wholeNumber("layers", flags.layers ?? DEFAULT_CONFIG.numLayers), attendTo, norm, residual: !flags["no-residual"] });
}

const percent = (x: number | undefined) => (x === undefined ? "-" : `${(100 * x).toFixed(1)}%`);
const clock = (seconds: number) => `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, "0")}`;

/** A one-line progress bar, redrawn in place at most 10 times a second. */
class ProgressBar {
  private lastDrawn = 0;
  private accuracy: number | undefined;

  constructor(private readonly trainer: Trainer, private readonly timeBudget: number, private readonly started: number) {}

  step(info: StepInfo, trainingSeconds: number): void {
    const totalSteps = this.trainer.config.steps; // may be fitted to the time budget during the run
    if (Date.now() - this.lastDrawn < 100 && info.step < totalSteps) return;
    this.lastDrawn = Date.now();
    const secondsPerStep = trainingSeconds / Math.max(1, info.step - this.started);
    const left = Math.min((totalSteps - info.step) * secondsPerStep, this.timeBudget - trainingSeconds);
    const done = Math.min(20, Math.round((20 * info.step) / totalSteps));
    const bar = `[${"#".repeat(done)}${"-".repeat(20 - done)}]`;
    process.stdout.write(`\r${bar} step ${info.step}/${totalSteps}  loss ${info.loss.toFixed(3)}  held-out ${percent(this.accuracy)}  ${(1 / secondsPerStep).toFixed(1)} steps/s  ${clock(Math.max(0, left))} left \x1b[K`);
  }

  /** Prints the evaluation on its own line; the bar continues below it. */
  evaluation(line: string, accuracy: number): void {
    this.accuracy = accuracy;
    process.stdout.write(`\r\x1b[K${line}\n`);
  }
}

const MILESTONES = [0.5, 0.9, 0.95]; // held-out exact match levels reported at the end of a run

/** When the run first reached each milestone: "... 50% / 90% / 95% first reached at: step 1750 (58 s) / step 3000 (101 s) / not yet". */
function milestonesLine(evaluations: readonly EvalInfo[]): string {
  const reached = MILESTONES.map((level) => {
    const first = evaluations.find((e) => e.accuracy >= level);
    return first ? `step ${first.step} (${first.seconds.toFixed(0)} s)` : "not yet";
  });
  return `held-out exact match ${MILESTONES.map((level) => `${100 * level}%`).join(" / ")} first reached at: ${reached.join(" / ")}`;
}

function evalLine(info: EvalInfo): string {
  const perOp = Object.entries(info.perOp).map(([op, acc]) => `${op} ${percent(acc)}`).join("  ");
  return `step ${info.step}  ${info.seconds.toFixed(0)} s  loss ${info.loss.toFixed(4)}  held-out ${percent(info.accuracy)}  (${perOp})`;
}

runMain(async () => {
  const flags = parseFlags(process.argv.slice(2), FLAGS, USAGE);
  if (flags.backend !== undefined && flags.backend !== "wasm" && flags.backend !== "cpu") {
    throw new UsageError(`--backend must be "wasm" or "cpu", got "${flags.backend}".`);
  }
  const resume = flags.resume;
  const conflicting = [...RECIPE_FLAGS, ...MODEL_FLAGS].filter((name) => flags[name] !== undefined);
  if (resume !== undefined && conflicting.length > 0) {
    throw new UsageError(`--${conflicting[0]} cannot be combined with --resume: a resumed run keeps the settings saved in "${resume}".`);
  }
  const evalEvery = wholeNumber("eval-every", flags["eval-every"] ?? 250);
  const timeBudget = flags["time-budget"] ?? Infinity;
  if (!(timeBudget > 0)) throw new UsageError(`--time-budget must be a positive number of seconds, got ${timeBudget}.`);
  const out = flags.out ?? resume ?? DEFAULT_OUT;
  let ops = parseOperations(flags.ops ?? OPERATIONS.join(","));

  const shards = flags.shards ?? DEFAULT_TRAIN_CONFIG.shards;
  const workers = wholeNumber("workers", flags.workers ?? defaultWorkerCount(shards), 0);
  const fitSchedule = Number.isFinite(timeBudget) && flags.steps === undefined && resume === undefined;

  let trainer: Trainer;
  let split: Split;
  await initBackend(flags.backend as BackendName | undefined);
  if (resume !== undefined) {
    if (!fs.existsSync(resume)) throw new UsageError(`--resume: no checkpoint at "${resume}".`);
    const { metadata } = readSafetensors(resume);
    if (!metadata.train) throw new UsageError(`--resume: "${resume}" holds a model but no training state to resume.`);
    const savedOps = metadata.ops ? parseOperations(metadata.ops) : ops;
    if (flags.ops !== undefined && savedOps.join() !== ops.join()) {
      throw new UsageError(`--ops ${ops.join(",")} differs from the operations the checkpoint was trained on (${savedOps.join(",")}).`);
    }
    ops = savedOps;
    split = splitFor(ops, (JSON.parse(metadata.train) as TrainConfig).seed);
    trainer = Trainer.resume(resume, split.train, { workers });
  } else {
    const seed = wholeNumber("seed", flags.seed ?? 0, 0);
    const config: Partial<TrainConfig> = { seed };
    if (flags.steps !== undefined) config.steps = wholeNumber("steps", flags.steps);
    if (flags.batch !== undefined) config.batchSize = wholeNumber("batch", flags.batch);
    if (flags.warmup !== undefined) config.warmupSteps = wholeNumber("warmup", flags.warmup, 0);
    if (flags.lr !== undefined) config.learningRate = flags.lr;
    if (flags["min-lr"] !== undefined) config.minLearningRate = flags["min-lr"];
    if (flags.oversample !== undefined) config.oversample = parseRepeats(flags.oversample);
    if (flags["weight-decay"] !== undefined) config.weightDecay = flags["weight-decay"];
    if (flags.shards !== undefined) config.shards = wholeNumber("shards", flags.shards);
    if (!(config.learningRate === undefined || config.learningRate > 0)) throw new UsageError(`--lr must be positive, got ${config.learningRate}.`);
    split = splitFor(ops, seed);
    trainer = new Trainer(modelFrom(flags, seed), split.train, config, { workers });
  }
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });

  const { batchSize, learningRate } = trainer.config;
  const startStep = trainer.step;
  const startupMs = await trainer.ready();
  if (!flags.json) {
    const where = workers === 0 ? "in this thread" : `on ${workers} worker threads (started in ${(startupMs / 1000).toFixed(1)} s)`;
    console.log(`${resume ? `resuming "${resume}" at step ${startStep}` : "training"}: ${ops.join(", ")}; ${split.train.length} training and ${split.test.length} held-out problems`);
    console.log(`${trainer.model.numParameters()} parameters; ${fitSchedule ? "steps fitted to the time budget" : `${trainer.config.steps} steps`} of ${batchSize}, peak learning rate ${learningRate}; backend ${tf.getBackend()} ${where}; checkpoint ${out}`);
  }

  let stopRequested = false;
  process.on("SIGINT", () => {
    if (stopRequested) process.exit(130); // a second Ctrl-C: leave without saving
    stopRequested = true;
    if (!flags.json) process.stdout.write(`\nstopping after this step; saving ${out} (Ctrl-C again to quit without saving)\n`);
  });

  const bar = !flags.json && process.stdout.isTTY ? new ProgressBar(trainer, timeBudget, startStep) : undefined;
  const started = Date.now();
  let evalSeconds = 0; // so the bar's time left counts training only, as runTraining does
  const evaluations = await runTraining(trainer, {
    test: split.test,
    evalEvery,
    timeBudgetSeconds: timeBudget,
    fitScheduleToBudget: fitSchedule,
    onScheduleFitted: ({ totalSteps, stepsPerSecond }) => {
      if (!flags.json) console.log(`${stepsPerSecond.toFixed(1)} steps/s measured: the schedule is set to ${totalSteps} steps so that it ends with the ${timeBudget} s budget`);
    },
    checkpointPath: out,
    checkpointMetadata: { ops: ops.join(",") },
    shouldStop: () => stopRequested,
    onStep: (info) => bar?.step(info, (Date.now() - started) / 1000 - evalSeconds),
    onEval: (info) => {
      evalSeconds = (Date.now() - started) / 1000 - info.seconds;
      if (flags.json) {
        const { step, seconds, loss, accuracy, perOp } = info;
        const { numTensors, numBytes } = tf.memory();
        const memory = { numTensors, tensorMB: Number((numBytes / 2 ** 20).toFixed(2)), rssMB: Math.round(process.memoryUsage().rss / 2 ** 20), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
        console.log(JSON.stringify({ step, seconds: Number(seconds.toFixed(2)), loss, testAccuracy: accuracy, perOp, totalSteps: trainer.config.steps, workers, ...memory }));
      } else if (bar) {
        bar.evaluation(evalLine(info), info.accuracy);
      } else {
        console.log(evalLine(info));
      }
    },
  });
  const final = evaluations[evaluations.length - 1];
  if (!flags.json) {
    const why = stopRequested ? "stopped by Ctrl-C" : trainer.step >= trainer.config.steps ? "all steps done" : "time budget used";
    console.log(`${why} at step ${trainer.step}; held-out exact match ${percent(final?.accuracy)}; saved ${out}`);
    console.log(milestonesLine(evaluations));
  }
  trainer.dispose();
  if (stopRequested) process.exit(130);
});
