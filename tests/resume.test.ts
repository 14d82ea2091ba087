// Stopping hard and going on: a training process killed with SIGKILL part-way resumes from its last
// checkpoint and ends exactly where an uninterrupted run ends, and a kill in the middle of a save
// never leaves a broken checkpoint (saves go to <path>.tmp, then a rename replaces the file).
// The process to kill is tests/fixtures/resume-probe.ts, run by node with tsx as a loader (one process:
// the tsx command would start a second node that a SIGKILL to the first does not reach).
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCheckpoint } from "../lib/training/checkpoint";
import { allProblems, splitProblems } from "../lib/data";
import { Transformer } from "../lib/model";
import { readSafetensors } from "../lib/training/safetensors";
import { Trainer, runTraining } from "../lib/train";
import type { ProbeSettings } from "./fixtures/resume-probe";
import { maxAbsDiff, useBackend } from "./helpers";

useBackend();

const ROOT = path.join(__dirname, "..");
const PROBE = path.join(__dirname, "fixtures", "resume-probe.ts");

const STEPS = 40;
const CHECKPOINT_EVERY = 5;
const KILL_AFTER_STEP = 17; // not a multiple of CHECKPOINT_EVERY: the steps after the last save are lost and done again
const TRAINING: Omit<ProbeSettings, "checkpointPath"> = {
  model: { dModel: 16, numHeads: 2, numLayers: 1, contextLength: 12, seed: 3 },
  train: { steps: STEPS, batchSize: 16, learningRate: 1e-2, warmupSteps: 5, minLearningRate: 1e-4, seed: 1 },
  splitSeed: 0,
  checkpointEvery: CHECKPOINT_EVERY,
  stepDelayMs: 40,
  workers: 2, // the killed process trains on worker threads; the resumed run here trains in this thread
};
// Large enough (about 21 MB with the Adam state) that a save takes a while, so kills land inside saves.
const SAVING: Omit<ProbeSettings, "checkpointPath"> = { ...TRAINING, workers: 0, model: { dModel: 192, numHeads: 4, numLayers: 4, contextLength: 12, seed: 4 } };
const KILLS_DURING_SAVES = 8; // at 0, 1, ... 7 ms after a save has created its .tmp file

const TRAIN = splitProblems(allProblems(), 0.1, TRAINING.splitSeed).train;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "resume-test-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Killed {
  lines: Record<string, number>[]; // the JSON lines the probe printed before it died
  signal: NodeJS.Signals | null;
}

/**
 * Starts the probe; `onLine(line, kill)` sees every JSON line it prints. `died` resolves once it has
 * died of SIGKILL and rejects if it ends by itself.
 */
function startProbe(job: "train" | "save", settings: ProbeSettings, onLine: (line: Record<string, number>, kill: () => void) => void) {
  const child = spawn(process.execPath, ["--import", "tsx", PROBE, job, JSON.stringify(settings)], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const kill = () => child.kill("SIGKILL");
  const died = new Promise<Killed>((resolve, reject) => {
    const lines: Record<string, number>[] = [];
    let stderr = "";
    let pending = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.stdout.on("data", (chunk) => {
      pending += chunk;
      const complete = pending.split("\n");
      pending = complete.pop() ?? "";
      for (const text of complete) {
        const line = JSON.parse(text);
        lines.push(line);
        onLine(line, kill);
      }
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`the probe ended by itself (exit ${code}, signal ${signal}) before it was killed:\n${stderr}`));
      else resolve({ lines, signal });
    });
  });
  return { kill, died };
}

/** Losses by step of an uninterrupted run with the same settings, and the trainer at its end. */
async function uninterruptedRun(): Promise<{ losses: Map<number, number>; trainer: Trainer }> {
  const trainer = new Trainer(new Transformer(TRAINING.model), TRAIN, TRAINING.train);
  const losses = new Map<number, number>();
  await runTraining(trainer, { onStep: ({ step, loss }) => losses.set(step, loss) });
  return { losses, trainer };
}

describe("a training process killed with SIGKILL", () => {
  it(`resumes from its last checkpoint and ends with the same loss and weights as a run that was never stopped`, async () => {
    const checkpointPath = path.join(dir, "killed.safetensors");
    const killed = await startProbe("train", { ...TRAINING, checkpointPath }, (line, kill) => {
      if (line.step >= KILL_AFTER_STEP) kill();
    }).died;
    const reported = killed.lines.filter((line) => "step" in line);
    const lastReported = reported[reported.length - 1].step;
    expect(killed.signal).toBe("SIGKILL");
    expect(lastReported).toBeGreaterThanOrEqual(KILL_AFTER_STEP);
    expect(lastReported).toBeLessThan(STEPS);

    const resumed = Trainer.resume(checkpointPath, TRAIN);
    const savedAt = resumed.step;
    expect(savedAt % CHECKPOINT_EVERY).toBe(0);
    expect(savedAt).toBeGreaterThanOrEqual(Math.floor(KILL_AFTER_STEP / CHECKPOINT_EVERY) * CHECKPOINT_EVERY);
    expect(savedAt).toBeLessThanOrEqual(lastReported);
    const resumedLosses = new Map<number, number>();
    await runTraining(resumed, { onStep: ({ step, loss }) => resumedLosses.set(step, loss) });
    expect(resumed.step).toBe(STEPS);
    expect([...resumedLosses.keys()]).toEqual(Array.from({ length: STEPS - savedAt }, (_, i) => savedAt + 1 + i));

    const { losses, trainer: straight } = await uninterruptedRun();
    // The killed process and the uninterrupted one took the same steps (a check of the comparison itself).
    expect(maxAbsDiff(reported.map((line) => line.loss), reported.map((line) => losses.get(line.step)!))).toBeLessThan(1e-6);
    const redone = [...resumedLosses.keys()];
    const lossDifference = maxAbsDiff(redone.map((step) => resumedLosses.get(step)!), redone.map((step) => losses.get(step)!));
    expect(lossDifference).toBeLessThan(1e-5);
    expect(Math.abs(resumedLosses.get(STEPS)! - losses.get(STEPS)!)).toBeLessThan(1e-5);
    const straightWeights = straight.model.namedWeights();
    let weightDifference = 0;
    for (const [name, weight] of Object.entries(resumed.model.namedWeights())) {
      weightDifference = Math.max(weightDifference, maxAbsDiff(weight.dataSync(), straightWeights[name].dataSync()));
      expect(maxAbsDiff(resumed.optimizer.state().m[name], straight.optimizer.state().m[name]), `adam.m.${name}`).toBeLessThan(1e-6);
    }
    expect(weightDifference).toBeLessThan(1e-6);
    console.log(`killed after step ${lastReported}; resumed from the checkpoint of step ${savedAt}; steps ${savedAt + 1}-${STEPS} ` +
      `redone: final loss ${resumedLosses.get(STEPS)!.toFixed(6)} vs ${losses.get(STEPS)!.toFixed(6)} uninterrupted; ` +
      `largest loss difference ${lossDifference}, largest weight difference ${weightDifference}`);
    resumed.dispose();
    straight.dispose();
  }, 120_000);

  it("in the middle of a save leaves the previous complete checkpoint at the path", async () => {
    const checkpointPath = path.join(dir, "saving.safetensors");
    const temporary = `${checkpointPath}.tmp`;
    const expected = new Transformer(SAVING.model); // the probe saves this model's untouched initial weights
    const expectedWeights = expected.namedWeights();
    let killsMidWrite = 0; // kills that left a shorter .tmp file behind: the save was writing it
    const outcomes: string[] = [];
    for (let delayMs = 0; delayMs < KILLS_DURING_SAVES; delayMs++) {
      fs.rmSync(temporary, { force: true });
      // Once two saves are complete, the kill comes `delayMs` after the next save creates its .tmp file.
      let armed = false;
      const probe = startProbe("save", { ...SAVING, checkpointPath }, (line) => (armed ||= line.saved === 2));
      const watcher = fs.watch(dir, (_, file) => {
        if (!armed || file !== path.basename(temporary)) return;
        armed = false;
        setTimeout(probe.kill, delayMs);
      });
      const killed = await probe.died.finally(() => watcher.close());
      const lastSaved = Math.max(...killed.lines.filter((line) => "saved" in line).map((line) => line.saved));
      const leftBytes = fs.existsSync(temporary) ? fs.statSync(temporary).size : undefined;

      const { model, metadata } = loadCheckpoint(checkpointPath); // throws if the file is incomplete or corrupt
      const step = Number(metadata.step);
      expect([lastSaved, lastSaved + 1]).toContain(step); // the last complete save (or the one whose rename had just happened)
      for (const [name, weight] of Object.entries(model.namedWeights())) {
        expect(maxAbsDiff(weight.dataSync(), expectedWeights[name].dataSync()), name).toBe(0);
      }
      model.dispose();
      const resumed = Trainer.resume(checkpointPath, TRAIN);
      expect(resumed.step).toBe(step);
      resumed.dispose();
      if (leftBytes !== undefined && leftBytes < fs.statSync(checkpointPath).size) killsMidWrite += 1;
      outcomes.push(`+${delayMs} ms: file holds save ${step}${leftBytes === undefined ? "" : `, .tmp of ${leftBytes} bytes left`}`);
    }
    const fileBytes = fs.statSync(checkpointPath).size;
    console.log(`${KILLS_DURING_SAVES} kills during saves of a ${fileBytes}-byte checkpoint, ${killsMidWrite} in the middle of writing: ${outcomes.join("; ")}`);
    expect(readSafetensors(checkpointPath).metadata.format).toBe("attention-workshop/1");
    expect(killsMidWrite, "no kill landed while the .tmp file was being written: the test did not test saves").toBeGreaterThan(0);
    expected.dispose();
  }, 180_000);
});
