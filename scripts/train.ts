// Trains the word calculator from the terminal, with lib's model, recipe and checkpoints.
//   npm run train                                      all four operations, the default recipe
//   npm run train -- --ops plus,minus --steps 2000     a smaller run
//   npm run train -- --time-budget 60                  the schedule fitted to 60 s of training
//   npm run train -- --json > log.jsonl                one JSON line per evaluation
//   npm run train -- --resume checkpoints/calculator.safetensors   continue a stopped run
// Ctrl-C stops after the current step and saves a checkpoint that --resume continues from.
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { BackendName, initBackend } from "../lib/fast/backend";
import { OPERATIONS, Operation, Problem, Split, allProblems, splitProblems } from "../lib/data";
import { defaultWorkerCount } from "../lib/training/shards";
import { ATTEND_TO, AttendTo, DEFAULT_CONFIG, Transformer } from "../lib/model";
import { INIT_SCHEMES, InitScheme } from "../lib/weights";
import { percent } from "../lib/notebook/format";
import { progressLine } from "../lib/notebook/progress";
import { readSafetensors } from "../lib/training/safetensors";
import { DEFAULT_RUN_EVERY, DEFAULT_TRAIN_CONFIG, EvalInfo, TrainConfig, Trainer, runTraining } from "../lib/train";
import { FlagName, FlagValues, OwnHelp, UsageError, parseFlags, runMain } from "./flags";

const RECIPE_FLAGS = ["steps", "seed", "batch", "lr", "warmup", "min-lr", "oversample", "weight-decay", "shards"] as const; // saved in a checkpoint
const MODEL_FLAGS = ["heads", "layers", "d-model", "attend-to", "no-residual", "norm", "init"] as const; // so is the model
const FLAG_NAMES = [...RECIPE_FLAGS, ...MODEL_FLAGS, "ops", "time-budget", "workers", "eval-every", "json", "out", "resume", "backend"] as const satisfies readonly FlagName[];
const DEFAULT_OUT = "checkpoints/calculator.safetensors";
const EVAL_EVERY = 250; // steps between the evaluations npm run train logs
type Flags = FlagValues<(typeof FLAG_NAMES)[number]>;
const OWN_HELP: OwnHelp<(typeof FLAG_NAMES)[number]> = {
  "eval-every": { help: "steps between evaluations on the held-out problems", default: EVAL_EVERY },
  out: { help: `checkpoint file, saved every ${DEFAULT_RUN_EVERY.checkpointEvery} steps, at the end and on Ctrl-C`, default: `${DEFAULT_OUT}, or the --resume file` },
};
const USAGE = "Usage: npm run train -- [--ops plus,minus,times,divided] [--steps N | --time-budget S] [--seed K] [--workers N] [--json] [--out file] [--resume file]";
const MILESTONES = [0.5, 0.9, 0.95]; // held-out exact match levels reported at the end of a run

function operations(text: string, flag: string): Operation[] {
  const ops = text.split(",").map((op) => op.trim());
  const unknown = ops.find((op) => !OPERATIONS.includes(op as Operation));
  if (unknown !== undefined) throw new UsageError(`${flag}: unknown operation "${unknown}"; valid operations are ${OPERATIONS.join(", ")}.`);
  return [...new Set(ops as Operation[])];
}

function repeats(text: string): TrainConfig["oversample"] {
  const parts = text.split(",").filter((p) => p.trim() !== "").map((part) => part.split("=").map((s) => s.trim()));
  const ops = operations(parts.map(([op]) => op).join(","), "--oversample");
  const counts = parts.map(([, count]) => Number(count));
  const bad = counts.findIndex((c) => !Number.isInteger(c) || c < 1);
  if (bad >= 0) throw new UsageError(`--oversample ${ops[bad]} must be a whole number >= 1, got ${parts[bad][1]}.`);
  return Object.fromEntries(ops.map((op, i) => [op, counts[i]]));
}

/** The recipe the flags ask for, on top of the default. */
function recipeFrom(flags: Flags): Partial<TrainConfig> {
  const config: Partial<TrainConfig> = { seed: flags.seed ?? 0, steps: flags.steps, batchSize: flags.batch, warmupSteps: flags.warmup, shards: flags.shards };
  Object.assign(config, { learningRate: flags.lr, minLearningRate: flags["min-lr"], weightDecay: flags["weight-decay"] });
  if (flags.oversample !== undefined) config.oversample = repeats(flags.oversample);
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
}

/** The model the flags ask for. */
function modelFrom(flags: Flags, seed: number): Transformer {
  const { norm = DEFAULT_CONFIG.norm, init = DEFAULT_CONFIG.init, "attend-to": attendTo = DEFAULT_CONFIG.attendTo, heads = DEFAULT_CONFIG.numHeads, "d-model": dModel = DEFAULT_CONFIG.dModel } = flags;
  if (norm !== "pre" && norm !== "post") throw new UsageError(`--norm must be "pre" or "post", got "${norm}".`);
  if (!INIT_SCHEMES.includes(init as InitScheme)) throw new UsageError(`--init must be ${INIT_SCHEMES.join(" or ")}, got "${init}".`);
  if (!ATTEND_TO.includes(attendTo as AttendTo)) throw new UsageError(`--attend-to must be ${ATTEND_TO.join(", ")}, got "${attendTo}".`);
  if (dModel % heads !== 0) throw new UsageError(`--heads ${heads} must divide --d-model ${dModel}.`);
  const numLayers = flags.layers ?? DEFAULT_CONFIG.numLayers;
  return new Transformer({ seed, numHeads: heads, dModel, numLayers, attendTo: attendTo as AttendTo, norm, residual: !flags["no-residual"], init: init as InitScheme });
}

/** The held-out split of all four operations (so it does not depend on --ops), then only the chosen ones. */
function splitFor(ops: readonly Operation[], seed: number): Split {
  const { train, test } = splitProblems(allProblems(), 0.1, seed);
  const chosen = (p: Problem) => ops.includes(p.op);
  return { train: train.filter(chosen), test: test.filter(chosen) };
}


function evalLine(info: EvalInfo): string {
  const perOp = Object.entries(info.perOp).map(([op, acc]) => `${op} ${percent(acc)}`).join("  ");
  return `step ${info.step}  ${info.seconds.toFixed(0)} s  loss ${info.loss.toFixed(4)}  held-out ${percent(info.accuracy)}  (${perOp})`;
}

/** "held-out exact match 50% / 90% / 95% first reached at: step 1750 (58 s) / step 3000 (101 s) / not yet". */
function milestonesLine(evaluations: readonly EvalInfo[]): string {
  const reached = MILESTONES.map((level) => {
    const first = evaluations.find((e) => e.accuracy >= level);
    return first ? `step ${first.step} (${first.seconds.toFixed(0)} s)` : "not yet";
  });
  return `held-out exact match ${MILESTONES.map((level) => `${100 * level}%`).join(" / ")} first reached at: ${reached.join(" / ")}`;
}

runMain(async () => {
  const flags = parseFlags(process.argv.slice(2), FLAG_NAMES, USAGE, OWN_HELP);
  if (flags.backend !== undefined && flags.backend !== "wasm" && flags.backend !== "cpu") throw new UsageError(`--backend must be "wasm" or "cpu", got "${flags.backend}".`);
  const { resume, "eval-every": evalEvery = EVAL_EVERY, "time-budget": timeBudget = Infinity } = flags;
  const conflicting = [...RECIPE_FLAGS, ...MODEL_FLAGS].find((name) => flags[name] !== undefined);
  if (resume !== undefined && conflicting) throw new UsageError(`--${conflicting} cannot be combined with --resume: a resumed run keeps the settings saved in "${resume}".`);
  if (!(timeBudget > 0)) throw new UsageError(`--time-budget must be a positive number of seconds, got ${timeBudget}.`);
  const out = flags.out ?? resume ?? DEFAULT_OUT;
  let ops = operations(flags.ops ?? OPERATIONS.join(","), "--ops");
  let recipe = recipeFrom(flags);
  if (resume !== undefined) {
    if (!fs.existsSync(resume)) throw new UsageError(`--resume: no checkpoint at "${resume}".`);
    const { metadata } = readSafetensors(resume);
    if (!metadata.train) throw new UsageError(`--resume: "${resume}" holds a model but no training state to resume.`);
    const savedOps = metadata.ops ? operations(metadata.ops, "the checkpoint's ops") : ops;
    if (flags.ops !== undefined && savedOps.join() !== ops.join()) throw new UsageError(`--ops ${ops.join(",")} differs from the operations the checkpoint was trained on (${savedOps.join(",")}).`);
    [ops, recipe] = [savedOps, JSON.parse(metadata.train)];
  }
  const workers = flags.workers ?? defaultWorkerCount(recipe.shards ?? DEFAULT_TRAIN_CONFIG.shards);
  const fitScheduleToBudget = Number.isFinite(timeBudget) && flags.steps === undefined && resume === undefined;

  await initBackend(flags.backend as BackendName | undefined);
  const split = splitFor(ops, recipe.seed ?? 0);
  const trainer = resume !== undefined ? Trainer.resume(resume, split.train, { workers }) : new Trainer(modelFrom(flags, recipe.seed ?? 0), split.train, recipe, { workers });
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  const startupMs = await trainer.ready();
  const { batchSize, learningRate } = trainer.config;
  if (!flags.json) {
    const where = workers === 0 ? "in the main thread" : `on ${workers} worker threads (started in ${(startupMs / 1000).toFixed(1)} s)`;
    console.log(`${resume ? `resuming "${resume}" at step ${trainer.step}` : "training"}: ${ops.join(", ")}; ${split.train.length} training and ${split.test.length} held-out problems`);
    console.log(`${trainer.model.numParameters()} parameters; ${fitScheduleToBudget ? "steps fitted to the time budget" : `${trainer.config.steps} steps`} of ${batchSize}, peak learning rate ${learningRate}; backend ${tf.getBackend()} ${where}; checkpoint ${out}`);
  }

  let stopRequested = false;
  process.on("SIGINT", () => {
    if (stopRequested) process.exit(130); // a second Ctrl-C: leave without saving
    stopRequested = true;
    if (!flags.json) process.stdout.write(`\nstopping after this step; saving ${out} (Ctrl-C again to quit without saving)\n`);
  });
  let [lastDrawn, heldOut] = [0, "-"];
  let [trainedSeconds, trainingSince] = [0, Date.now()]; // training time at the last evaluation, and when training went on after it
  const evaluations = await runTraining(trainer, {
    test: split.test, evalEvery, timeBudgetSeconds: timeBudget, fitScheduleToBudget, checkpointPath: out, checkpointMetadata: { ops: ops.join(",") },
    shouldStop: () => stopRequested,
    onScheduleFitted: ({ totalSteps, stepsPerSecond }) => {
      if (!flags.json) console.log(`${stepsPerSecond.toFixed(1)} steps/s measured: the schedule is set to ${totalSteps} steps, to end with the ${timeBudget} s budget`);
    },
    onStep: ({ step, loss }) => {
      if (flags.json || !process.stdout.isTTY || Date.now() - lastDrawn < 100) return;
      lastDrawn = Date.now();
      const line = progressLine(step, trainer.config.steps, loss, trainedSeconds + (Date.now() - trainingSince) / 1000, timeBudget);
      process.stdout.write(`\r${line} · held-out ${heldOut}\x1b[K`);
    },
    onEval: (info) => {
      const { step, seconds, loss, accuracy, perOp } = info;
      heldOut = percent(accuracy);
      const { numTensors, numBytes } = tf.memory();
      const memory = { numTensors, tensorMB: Number((numBytes / 2 ** 20).toFixed(2)), rssMB: Math.round(process.memoryUsage().rss / 2 ** 20), peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
      if (flags.json) console.log(JSON.stringify({ step, seconds: Number(seconds.toFixed(2)), loss, testAccuracy: accuracy, perOp, totalSteps: trainer.config.steps, workers, ...memory }));
      else console.log(`${process.stdout.isTTY ? "\r\x1b[K" : ""}${evalLine(info)}`);
      [trainedSeconds, trainingSince] = [seconds, Date.now()];
    },
  });
  if (!flags.json) {
    const why = stopRequested ? "stopped by Ctrl-C" : trainer.step >= trainer.config.steps ? "all steps done" : "time budget used";
    console.log(`${why} at step ${trainer.step}; held-out exact match ${percent(evaluations[evaluations.length - 1]?.accuracy)}; saved ${out}`);
    console.log(milestonesLine(evaluations));
  }
  trainer.dispose();
  if (stopRequested) process.exit(130);
});
