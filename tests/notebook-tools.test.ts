// npm run reset and npm run clean, on a temporary git clone of this repository (this checkout's
// notebooks/ is never touched). The clone borrows this checkout's .venv for nbconvert.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ROOT, VENV_DIR } from "../scripts/jupyter-env.mjs";

let clone: string;
const file = (relative: string) => path.join(clone, relative);
const read = (relative: string) => fs.readFileSync(file(relative), "utf8");

function run(script: string): { code: number | null; output: string } {
  const result = spawnSync(process.execPath, [path.join("scripts", script)], { cwd: clone, encoding: "utf8" });
  return { code: result.status, output: result.stdout + result.stderr };
}

/** Gives every code cell of a notebook an output and an execution count, as a saved session does. */
function addOutputs(relative: string): void {
  const notebook = JSON.parse(read(relative));
  notebook.cells.filter((c: { cell_type: string }) => c.cell_type === "code").forEach((cell: Record<string, unknown>, i: number) => {
    cell.execution_count = i + 1;
    cell.outputs = [{ output_type: "stream", name: "stdout", text: ["an output\n"] }];
  });
  fs.writeFileSync(file(relative), JSON.stringify(notebook));
}

beforeAll(() => {
  clone = fs.mkdtempSync(path.join(os.tmpdir(), "notebook-tools-"));
  const cloned = spawnSync("git", ["clone", "--quiet", ROOT, clone], { encoding: "utf8" });
  expect(cloned.status, cloned.stderr).toBe(0);
  for (const script of ["reset-notebooks.mjs", "clean-notebooks.mjs", "jupyter-env.mjs"]) {
    fs.copyFileSync(path.join(ROOT, "scripts", script), file(path.join("scripts", script))); // the versions under test
  }
  fs.symlinkSync(VENV_DIR, file(".venv"));
});
afterAll(() => fs.rmSync(clone, { recursive: true, force: true }));

test("npm run reset restores edited and deleted notebooks from git and keeps untracked work", () => {
  const [edited, deleted, untouched] = ["notebooks/01-calculator.ipynb", "notebooks/03-causal-masking.ipynb", "notebooks/02-query-key-value.ipynb"];
  const committed = read(edited);
  addOutputs(edited);
  fs.rmSync(file(deleted));
  fs.mkdirSync(file("notebooks/checkpoints"));
  fs.writeFileSync(file("notebooks/checkpoints/06-training.safetensors"), "weights");
  fs.writeFileSync(file("notebooks/Untitled.ipynb"), "{}");
  const { code, output } = run("reset-notebooks.mjs");
  expect(code, output).toBe(0);
  expect(output).toBe(`restored ${edited}\nrestored ${deleted}\n2 notebook(s) restored from git\n`);
  expect(read(edited)).toBe(committed);
  expect(fs.existsSync(file(deleted))).toBe(true);
  expect(output).not.toContain(untouched);
  expect(read("notebooks/checkpoints/06-training.safetensors")).toBe("weights");
  expect(read("notebooks/Untitled.ipynb")).toBe("{}");
  expect(run("reset-notebooks.mjs").output).toBe("every notebook already matches git\n");
});

test("npm run clean clears outputs with nbconvert and leaves clean notebooks byte for byte", () => {
  const dirty = "notebooks/04-multi-head-attention.ipynb";
  const clean = "notebooks/05-transformer-block.ipynb";
  const cleanBefore = read(clean);
  addOutputs(dirty);
  const { code, output } = run("clean-notebooks.mjs");
  expect(code, output).toBe(0);
  expect(output).toContain(`cleared ${dirty}\n1 notebook(s) cleared,`);
  const cells = JSON.parse(read(dirty)).cells.filter((c: { cell_type: string }) => c.cell_type === "code");
  expect(cells.length).toBeGreaterThan(0);
  expect(cells.every((c: { outputs: unknown[]; execution_count: unknown }) => c.outputs.length === 0 && c.execution_count === null)).toBe(true);
  expect(read(clean)).toBe(cleanBefore);
}, 60_000);
