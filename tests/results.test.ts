// The shipped trained models (results/) are a cache of the project's own trainer: the quick model is
// re-trained from scratch and must match its shipped file bit for bit, and a changed bit must fail.
// Bad input to `npm run results` gets a one-line error naming it.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SHIPPED, shippedFile, shippedModel } from "../lib/ladder/results";
import { readSafetensors } from "../lib/training/safetensors";

const ROOT = path.resolve(__dirname, "..");
const QUICK = "course-1000-steps"; // the fastest shipped model to re-create
const CHECK_TIMEOUT_MS = 6 * 60_000; // one 1,000-step training on a loaded 2-core machine, with room

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function results(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/results.ts", ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let [stdout, stderr] = ["", ""];
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

let elsewhere: string; // a copy of results/ with one bit flipped, or one file cut
beforeAll(() => {
  elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "results-test-"));
});
afterAll(() => fs.rmSync(elsewhere, { recursive: true, force: true }));

/** A copy of results/ in `dir` in which `change` has altered the quick model's file. */
function alteredCopy(dir: string, change: (bytes: Buffer) => Buffer): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const m of SHIPPED) fs.copyFileSync(shippedFile(m), path.join(dir, path.basename(shippedFile(m))));
  const file = path.join(dir, path.basename(shippedFile(shippedModel(QUICK))));
  fs.writeFileSync(file, change(fs.readFileSync(file)));
}

describe("npm run results", () => {
  it("lists every shipped model once, the quick one first", async () => {
    const { code, stdout } = await results(["--list"]);
    expect(code).toBe(0);
    const names = stdout.trim().split("\n");
    expect(new Set(names)).toEqual(new Set(SHIPPED.map((m) => m.name)));
    expect(names).toHaveLength(SHIPPED.length);
    expect(names[0]).toBe(QUICK);
  });

  it("prints a shipped file's path, and names an unknown model in one line", async () => {
    const found = await results(["--file", "course"]);
    expect(found.code).toBe(0);
    expect(found.stdout.trim()).toBe(path.join("results", "course.safetensors"));
    const unknown = await results(["--file", "corse"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
    expect(unknown.stderr).toMatch(/"corse"/);
  });

  it("re-trains the quick model bitwise equal to its shipped file, and fails on one flipped bit naming the tensor", async () => {
    const flipped = path.join(elsewhere, "flipped");
    const { tensors } = readSafetensors(shippedFile(shippedModel(QUICK)));
    const lastWeight = Object.keys(tensors).at(-1)!;
    alteredCopy(flipped, (bytes) => {
      const copy = Buffer.from(bytes);
      copy[copy.length - 1] ^= 1; // the lowest bit of the last weight's last float
      return copy;
    });
    const [same, changed] = await Promise.all([results(["--check", QUICK]), results(["--check", QUICK], { ATTENTION_WORKSHOP_RESULTS: flipped })]);
    expect(same.stderr).toBe("");
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/bitwise equal/);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain(`"${lastWeight}"`);
  }, CHECK_TIMEOUT_MS);

  it("names a cut file in one line before training anything", async () => {
    const cut = path.join(elsewhere, "cut");
    alteredCopy(cut, (bytes) => bytes.subarray(0, 100));
    const { code, stderr } = await results(["--check", QUICK], { ATTENTION_WORKSHOP_RESULTS: cut });
    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/course-1000-steps\.safetensors/);
  }, CHECK_TIMEOUT_MS);
});
