// Re-creates the trained models that ship with the course (results/) and the document written
// from them (docs/results.md), through the same trainer a learner uses.
//   npm run results                     every shipped model, then docs/results.md
//   npm run results -- --list           the shipped models' names, the fastest to re-create first
//   npm run results -- --check NAME     re-train NAME from scratch; exit 0 only if bitwise equal to the shipped file
//   npm run results -- --file NAME      the shipped file's path
//   npm run results -- --doc            only docs/results.md, from the shipped files
//   npm run results -- --missing        only the models whose file is missing, then the document
//   npm run results -- --only A,B       only these models, in this order, then the document
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "node:util";
import { initBackend } from "../lib/fast/backend";
import { Problem } from "../lib/data";
import { trainEach } from "../lib/ladder/run-ladder";
import { evaluateUnpadded, modelOf, trainVariant } from "../lib/ladder/train-variant";
import { LADDER_TRAIN_CONFIG, VariantResult, ladderSplit, stepsOf } from "../lib/ladder/variants";
import { writeSafetensors } from "../lib/training/safetensors";
import {
  RESULTS_DIR, SHIPPED, ShippedMetadata, ShippedModel, factCounts, shippedFile, shippedModel, shippedWeights, costOf, variantOf,
} from "../lib/ladder/results";
import { writeResultsDocument } from "./results-doc";
import { UsageError, runMain } from "./flags";

const USAGE = "Usage: npm run results [-- --list | --check NAME | --file NAME | --doc | --missing | --only A,B] [--threads N]";

/** Everything but the weights: what the document and the notebooks read. */
function metadataOf(m: ShippedModel, result: VariantResult): ShippedMetadata {
  const { train, test } = ladderSplit(m.seed);
  const model = modelOf(result);
  const rightOf = (ps: readonly Problem[]) => Math.round(evaluateUnpadded(model, ps).accuracy * ps.length);
  try {
    const { accuracy, perOp } = result.heldOut;
    return {
      name: m.name, variant: result.variant, seed: m.seed, steps: result.steps, config: result.config,
      recipe: { ...LADDER_TRAIN_CONFIG, steps: result.steps, seed: m.seed }, parameters: result.parameters,
      finalLoss: result.finalLoss, lossCurve: result.lossCurve,
      heldOut: { accuracy, perOp, right: Math.round(accuracy * test.length), of: test.length },
      facts: factCounts(train, test, rightOf),
    };
  } finally {
    model.dispose();
  }
}

function save(m: ShippedModel, result: VariantResult): void {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const metadata = { format: "attention-workshop/1", config: JSON.stringify(result.config), shipped: JSON.stringify(metadataOf(m, result)) };
  writeSafetensors(shippedFile(m), result.weights, metadata);
}

/** A path relative to the working directory when it lies inside it. */
const shown = (file: string) => (path.relative(process.cwd(), file).startsWith("..") ? file : path.relative(process.cwd(), file));

const minutes = (ms: number) => `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;

/** Trains `models` on `threads` worker threads, in the order given, saving each as it finishes. */
async function trainAndSave(models: readonly ShippedModel[], threads: number): Promise<void> {
  const started = Date.now();
  const steps = new Map<string, string>(); // name -> "step/steps" while it trains
  let done = 0;
  const draw = () => {
    const running = [...steps].map(([name, at]) => `${name} ${at}`).join(", ");
    const line = `[${done}/${models.length} done, ${minutes(Date.now() - started)}] ${running}`;
    process.stdout.write(process.stdout.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
  };
  const jobs = models.map((m) => ({ variant: variantOf(m), settings: { steps: m.steps, seed: m.seed } }));
  await trainEach(jobs, {
    threads, longestFirst: false,
    onProgress: ({ step, steps: total }, job) => {
      steps.set(models[job].name, `${step}/${total}`);
      if (step % 1000 === 0) draw();
    },
    onResult: (result, job) => {
      save(models[job], result);
      steps.delete(models[job].name);
      done += 1;
      draw();
    },
  });
  if (process.stdout.isTTY) process.stdout.write("\n");
  console.log(`re-created ${models.length} shipped model${models.length === 1 ? "" : "s"} in ${minutes(Date.now() - started)} on ${threads} thread${threads === 1 ? "" : "s"}`);
}

/** Re-trains one shipped model in this thread; the first weight whose bits differ, or undefined. */
async function check(m: ShippedModel): Promise<string | undefined> {
  const shipped = shippedWeights(m);
  const { weights } = await trainVariant(variantOf(m), { steps: m.steps, seed: m.seed });
  const sameBits = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  const names = [...new Set([...Object.keys(weights), ...Object.keys(shipped)])];
  return names.find((name) => !(name in weights) || !(name in shipped) || shipped[name].shape.join() !== weights[name].shape.join() || !sameBits(shipped[name].data, weights[name].data));
}

runMain(async () => {
  let flags;
  try {
    flags = parseArgs({
      args: process.argv.slice(2), strict: true, allowPositionals: false,
      options: { list: { type: "boolean" }, check: { type: "string" }, file: { type: "string" }, doc: { type: "boolean" }, missing: { type: "boolean" }, only: { type: "string" }, threads: { type: "string" }, help: { type: "boolean", short: "h" } },
    }).values;
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split("\n")[0]}. ${USAGE}`);
  }
  if (flags.help) return console.log(USAGE);
  const threads = flags.threads === undefined ? Math.max(1, os.availableParallelism()) : Number(flags.threads);
  if (!Number.isInteger(threads) || threads < 1) throw new UsageError(`--threads must be a whole number >= 1, got "${flags.threads}".`);
  const named = (name: string) => {
    try {
      return shippedModel(name);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  };
  if (flags.list) return console.log([...SHIPPED].sort((a, b) => costOf(a) - costOf(b)).map((m) => m.name).join("\n"));
  if (flags.file !== undefined) {
    const file = shippedFile(named(flags.file));
    if (!fs.existsSync(file)) throw new Error(`the shipped file of "${flags.file}" is missing: ${file}`);
    return console.log(shown(file));
  }
  await initBackend();
  if (flags.check !== undefined) {
    const m = named(flags.check);
    const started = Date.now();
    const differs = await check(m);
    if (differs !== undefined) {
      console.error(`${m.name}: re-trained weights differ from ${shown(shippedFile(m))}; the first tensor that differs is "${differs}".`);
      process.exit(1);
    }
    return console.log(`${m.name}: re-trained from scratch in ${minutes(Date.now() - started)}; ${stepsOf(variantOf(m), m)} steps; every weight bitwise equal to ${shown(shippedFile(m))}.`);
  }
  if (!flags.doc) {
    const longestFirst = [...SHIPPED].sort((a, b) => costOf(b) - costOf(a)); // the threads finish together
    const chosen = flags.only === undefined ? longestFirst : flags.only.split(",").map((name) => named(name.trim())); // as listed
    await trainAndSave(flags.missing ? chosen.filter((m) => !fs.existsSync(shippedFile(m))) : chosen, threads);
  }
  console.log(`wrote ${writeResultsDocument()}`);
});
