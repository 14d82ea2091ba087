// The terminal scripts, run as a learner runs them (through tsx), kept tiny: every run is a few
// steps. They check what the scripts print and save, never how fast they are.
import { ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPERATIONS } from "../lib/data";
import { DEFAULT_CONFIG } from "../lib/model";
import { readSafetensors } from "../lib/training/safetensors";
import { DEFAULT_TRAIN_CONFIG } from "../lib/train";

const ROOT = path.resolve(__dirname, "..");
const TIMEOUT_MS = 120_000; // each test starts one or two node processes that load tfjs

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `node --import tsx`, as package.json runs the scripts: one process. (The `tsx` command starts a
 * second one, which kills the script 60 ms after a Ctrl-C unless the script answers in time.)
 */
function start(script: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", path.join("scripts", script), ...args], { cwd: ROOT, env: { ...process.env, TFJS_BACKEND: "" } });
}

/** Runs a script to the end; `onLine` sees every line of stdout as it arrives. */
function run(script: string, args: string[], onLine?: (line: string, child: ChildProcess) => void): Promise<Run> {
  return finished(start(script, args), onLine);
}

/** Waits for a started process to end and returns what it printed. */
function finished(child: ChildProcess, onLine?: (line: string, child: ChildProcess) => void): Promise<Run> {
  let [stdout, stderr, pending] = ["", "", ""];
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk;
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) onLine?.(line, child);
  });
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

const jsonLines = (stdout: string) => stdout.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "scripts-test-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("npm run bench", () => {
  const SMALL = ["--d-model", "16", "--heads", "2", "--layers", "1", "--batch", "4", "--ctx", "12", "--steps", "3", "--warmup", "1"];

  it("prints one JSON line with the timing, its breakdown and the configuration", async () => {
    const { code, stdout, stderr } = await run("bench.ts", [...SMALL, "--json"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const results = jsonLines(stdout);
    expect(results).toHaveLength(1);
    const r = results[0];
    expect(r).toMatchObject({ dModel: 16, heads: 2, layers: 1, batch: 4, ctx: 12, backend: expect.stringMatching(/^(wasm|cpu)$/) });
    for (const key of ["params", "msPerStep", "cpuMsPerStep", "tokensPerSec"]) expect(r[key], key).toBeGreaterThan(0);
    for (const key of ["forwardMs", "backwardMs", "adamMs"]) expect(r.breakdown[key], key).toBeGreaterThanOrEqual(0);
    expect(r.tokensPerSec).toBeCloseTo((4 * 12 * 1000) / r.msPerStep, -1);
    expect(r.numTensorsGrowth).toBe(0);
  }, TIMEOUT_MS);

  it("with --workers reports them, their start-up time and what each worker did", async () => {
    const { code, stdout, stderr } = await run("bench.ts", [...SMALL, "--json", "--workers", "2"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const [r] = jsonLines(stdout);
    expect(r).toMatchObject({ workers: 2, shards: 2 });
    expect(r.startupMs).toBeGreaterThan(0);
    expect(r.perWorker.map((w: { worker: number; shards: number }) => [w.worker, w.shards])).toEqual([[0, 1], [1, 1]]);
    for (const w of r.perWorker) for (const key of ["loadMs", "gradientMs", "numTensors", "heapMB"]) expect(w[key], key).toBeGreaterThan(0);
    expect(r.breakdown.exchangeMs).toBeGreaterThanOrEqual(0);
  }, TIMEOUT_MS);

  it("prints a table without --json", async () => {
    const { code, stdout } = await run("bench.ts", SMALL);
    expect(code).toBe(0);
    expect(stdout).toMatch(/ms\/step.*tokens\/s/);
    expect(jsonLines(stdout)).toHaveLength(0);
  }, TIMEOUT_MS);

  it("names an unknown flag, a bad number and a context too short for any problem", async () => {
    const unknown = await run("bench.ts", ["--dmodel", "64"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown flag --dmodel.*--d-model/);
    const notNumber = await run("bench.ts", ["--steps", "many"]);
    expect(notNumber.stderr).toMatch(/--steps expects a number, got "many"/);
    const short = await run("bench.ts", ["--ctx", "4", "--steps", "1"]);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/--ctx 4.*shortest needs 6/);
  }, TIMEOUT_MS);
});

describe("npm run train", () => {
  it("prints one JSON line per evaluation and saves a checkpoint", async () => {
    const out = path.join(dir, "short.safetensors");
    const { code, stdout, stderr } = await run("train.ts", ["--ops", "plus,times", "--steps", "4", "--eval-every", "2", "--json", "--out", out]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const evaluations = jsonLines(stdout);
    expect(evaluations.map((e) => e.step)).toEqual([2, 4]);
    for (const e of evaluations) {
      expect(Object.keys(e)).toEqual(expect.arrayContaining(["step", "seconds", "loss", "testAccuracy", "perOp"]));
      expect(Object.keys(e.perOp).sort()).toEqual(["plus", "times"]);
      expect(e.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(e.loss).toBeGreaterThan(0);
    }
    const { metadata } = readSafetensors(out);
    expect(metadata.step).toBe("4");
    expect(metadata.ops).toBe("plus,times");
  }, TIMEOUT_MS);

  it("without --json prints every evaluation, how the run ended and when it reached each accuracy level", async () => {
    const out = path.join(dir, "text.safetensors");
    const { code, stdout, stderr } = await run("train.ts", ["--ops", "plus", "--steps", "4", "--eval-every", "2", "--out", out]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(jsonLines(stdout)).toHaveLength(0);
    expect(stdout.match(/^step [24] .*held-out \d+\.\d%  \(plus \d+\.\d%\)$/gm)).toHaveLength(2);
    expect(stdout).toMatch(/^all steps done at step 4; held-out exact match \d+\.\d%; saved .*text\.safetensors$/m);
    expect(stdout).toMatch(/^held-out exact match 50% \/ 90% \/ 95% first reached at: (step [24] \(\d+ s\)|not yet) \/ .+ \/ .+$/m);
  }, TIMEOUT_MS);

  it("prints the same losses and accuracies on 1 and 2 workers", async () => {
    const args = ["--ops", "plus,minus", "--steps", "6", "--eval-every", "3", "--json"];
    const [one, two] = [await run("train.ts", [...args, "--workers", "1", "--out", path.join(dir, "one.safetensors")]), await run("train.ts", [...args, "--workers", "2", "--out", path.join(dir, "two.safetensors")])];
    const summary = (r: Run) => jsonLines(r.stdout).map(({ step, loss, testAccuracy, workers }) => ({ step, loss, testAccuracy, workers }));
    expect(summary(one).map((e) => e.workers)).toEqual([1, 1]);
    expect(summary(two).map(({ workers, ...e }) => e)).toEqual(summary(one).map(({ workers, ...e }) => e));
  }, TIMEOUT_MS);

  it("builds the model the model flags ask for and names a bad one", async () => {
    const out = path.join(dir, "variant.safetensors");
    const args = ["--ops", "plus", "--steps", "2", "--json", "--out", out, "--heads", "1", "--layers", "1", "--d-model", "32", "--attend-to", "self", "--no-residual", "--norm", "post", "--init", "gpt-2"];
    expect((await run("train.ts", args)).code).toBe(0);
    expect(JSON.parse(readSafetensors(out).metadata.config)).toMatchObject({ numHeads: 1, numLayers: 1, dModel: 32, attendTo: "self", residual: false, norm: "post", init: "gpt-2" });
    const bad = await run("train.ts", ["--attend-to", "future"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--attend-to must be past, all, self, got "future"/);
    expect((await run("train.ts", ["--init", "xavier"])).stderr).toMatch(/--init must be fan-in or gpt-2, got "xavier"/);
    const heads = await run("train.ts", ["--heads", "3"]);
    expect(heads.stderr).toMatch(/--heads 3 must divide --d-model 64/);
  }, TIMEOUT_MS);

  it("saves on Ctrl-C (on 2 workers), and --resume continues from that step (on 1)", async () => {
    const out = path.join(dir, "stopped.safetensors");
    let interrupted = false;
    const first = await run("train.ts", ["--ops", "minus", "--steps", "500", "--eval-every", "2", "--json", "--workers", "2", "--out", out], (line, child) => {
      if (!interrupted && line.startsWith("{")) {
        interrupted = true;
        child.kill("SIGINT");
      }
    });
    expect(first.code).toBe(130);
    const stoppedAt = Number(readSafetensors(out).metadata.step);
    expect(stoppedAt).toBeGreaterThanOrEqual(2);
    expect(stoppedAt).toBeLessThan(500);

    const second = await run("train.ts", ["--resume", out, "--json", "--eval-every", "2", "--time-budget", "1", "--workers", "1"]);
    expect(second.code).toBe(0);
    const evaluations = jsonLines(second.stdout);
    expect(evaluations.length).toBeGreaterThan(0);
    expect(evaluations[0].step).toBeGreaterThan(stoppedAt);
    expect(Object.keys(evaluations[0].perOp)).toEqual(["minus"]); // the operations came from the checkpoint
    expect(Number(readSafetensors(out).metadata.step)).toBe(evaluations[evaluations.length - 1].step);
  }, TIMEOUT_MS);

  it("names a bad operation with the valid ones, a non-numeric step count and an unknown flag", async () => {
    const op = await run("train.ts", ["--ops", "plus,modulo"]);
    expect(op.code).toBe(2);
    expect(op.stderr).toMatch(/unknown operation "modulo".*plus, minus, times, divided/);
    const steps = await run("train.ts", ["--steps", "ten"]);
    expect(steps.code).toBe(2);
    expect(steps.stderr).toMatch(/--steps expects a number, got "ten"/);
    const fraction = await run("train.ts", ["--steps", "2.5"]);
    expect(fraction.stderr).toMatch(/--steps must be a whole number >= 1, got 2\.5/);
    const flag = await run("train.ts", ["--step", "10"]);
    expect(flag.stderr).toMatch(/unknown flag --step\b.*--steps/);
    const missing = await run("train.ts", ["--resume", path.join(dir, "nothing.safetensors")]);
    expect(missing.stderr).toMatch(/no checkpoint at .*nothing\.safetensors/);
    for (const r of [op, steps, fraction, flag, missing]) expect(r.stdout).toBe("");
  }, TIMEOUT_MS);
});

describe("--help", () => {
  /** What --help prints as each flag's default: "  --batch <whole>  sequences per step (default 64)" -> { batch: "64" }. */
  const printedDefaults = (stdout: string) => Object.fromEntries([...stdout.matchAll(/^  --([\w-]+) .*\(default (.*)\)$/gm)].map(([, flag, value]) => [flag, value]));
  const [recipe, model] = [DEFAULT_TRAIN_CONFIG, DEFAULT_CONFIG];
  const modelDefaults = { heads: `${model.numHeads}`, layers: `${model.numLayers}`, "d-model": `${model.dModel}` };

  it("of npm run train prints the defaults of lib's recipe and model", async () => {
    const { code, stdout } = await run("train.ts", ["--help"]);
    expect(code).toBe(0);
    expect(printedDefaults(stdout)).toMatchObject({
      ...modelDefaults, "attend-to": model.attendTo, norm: model.norm, init: model.init, ops: OPERATIONS.join(","),
      steps: `${recipe.steps}`, seed: `${recipe.seed}`, batch: `${recipe.batchSize}`, shards: `${recipe.shards}`, warmup: `${recipe.warmupSteps}`,
      lr: `${recipe.learningRate}`, "min-lr": `${recipe.minLearningRate}`, "weight-decay": `${recipe.weightDecay}`,
      oversample: Object.entries(recipe.oversample).map(([op, times]) => `${op}=${times}`).join(","),
    });
  }, TIMEOUT_MS);

  it("of npm run bench prints its own step counts and the defaults of lib's model", async () => {
    const { code, stdout } = await run("bench.ts", ["--help"]);
    expect(code).toBe(0);
    const printed = printedDefaults(stdout);
    expect(printed).toMatchObject({ ...modelDefaults, ctx: `${model.contextLength}`, batch: `${recipe.batchSize}`, shards: `${recipe.shards}` });
    expect(printed.steps).toMatch(/^\d+; \d+ with --sweep$/);
  }, TIMEOUT_MS);
});

describe("npm run lint:workflows", () => {
  it("finds nothing to report in .github/workflows", async () => {
    const { code, stdout } = await finished(spawn("npm", ["run", "--silent", "lint:workflows"], { cwd: ROOT, shell: true }));
    expect(stdout).toMatch(/Checking [1-9]\d* workflow file/);
    expect(stdout).toMatch(/All workflow files passed/);
    expect(code).toBe(0);
  }, TIMEOUT_MS);
});
