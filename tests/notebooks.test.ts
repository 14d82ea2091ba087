// Runs every course notebook as a learner would (tslab kernel, working directory notebooks/),
// checks that committed notebooks carry no outputs, and checks that the runner reports failures.
// Executed copies land in artifacts/executed/ (variants with --set in artifacts/executed/variants/).
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { NOTEBOOKS_DIR, NOTEBOOK_RUNNER, ROOT, VENV_PYTHON, jupyterEnv } from "../scripts/jupyter-env.mjs";

const EXECUTED_DIR = path.join(ROOT, "artifacts", "executed");
const CELL_TIMEOUT_S = 300;
const NOTEBOOK_TIMEOUT_MS = 6 * 60_000; // the training notebook may take up to 5 minutes
const RUNNER_TEST_TIMEOUT_MS = 60_000;
const KERNELSPEC = { name: "tslab", display_name: "TypeScript", language: "typescript" };

/** Notebooks run again with top-level constants replaced; each run is skipped until its notebook exists. */
const EXTRA_RUNS: { notebook: string; set: Record<string, string | number> }[] = [
  { notebook: "04-multi-head-attention.ipynb", set: { NUM_HEADS: 1 } },
  { notebook: "04-multi-head-attention.ipynb", set: { NUM_HEADS: 2 } },
  { notebook: "04-multi-head-attention.ipynb", set: { NUM_HEADS: 8 } },
];

const allNotebooks = fs.readdirSync(NOTEBOOKS_DIR).filter((name) => name.endsWith(".ipynb")).sort();
const courseNotebooks = allNotebooks.filter((name) => /^\d/.test(name));

interface RunResult {
  code: number | null;
  output: string; // stdout and stderr of the runner, interleaved
}

/** Runs scripts/run_notebook.py on one notebook in the project's Jupyter environment. */
function runNotebook(notebook: string, out: string, set: Record<string, string | number> = {}): Promise<RunResult> {
  const settings = Object.entries(set).flatMap(([name, value]) => ["--set", `${name}=${value}`]);
  const args = [NOTEBOOK_RUNNER, notebook, "--out", out, "--timeout", String(CELL_TIMEOUT_S), ...settings];
  return new Promise((resolve, reject) => {
    const runner = spawn(VENV_PYTHON, args, { cwd: ROOT, env: jupyterEnv() });
    let output = "";
    runner.stdout.on("data", (chunk) => (output += chunk));
    runner.stderr.on("data", (chunk) => (output += chunk));
    runner.on("error", reject);
    runner.on("close", (code) => resolve({ code, output }));
  });
}

interface NotebookCell {
  cell_type: string;
  source: string | string[];
  outputs?: unknown[];
  execution_count?: number | null;
}

function readNotebook(file: string): { cells: NotebookCell[]; metadata: { kernelspec?: typeof KERNELSPEC } } {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

describe("committed notebooks", () => {
  test.each(allNotebooks)("%s uses the tslab kernel and has no outputs", (name) => {
    const notebook = readNotebook(path.join(NOTEBOOKS_DIR, name));
    expect(notebook.metadata.kernelspec).toEqual(KERNELSPEC);
    const dirty = notebook.cells
      .map((cell, index) => ({ cell, number: index + 1 }))
      .filter(({ cell }) => (cell.outputs?.length ?? 0) > 0 || (cell.execution_count ?? null) !== null)
      .map(({ number }) => number);
    expect(dirty, `cells with outputs or execution counts (clear all outputs, then save)`).toEqual([]);
  });
});

describe("course notebooks run without errors", () => {
  test.each(courseNotebooks)("%s", async (name) => {
    const { code, output } = await runNotebook(path.join(NOTEBOOKS_DIR, name), path.join(EXECUTED_DIR, name));
    expect(code, output).toBe(0);
  }, NOTEBOOK_TIMEOUT_MS);

  for (const { notebook, set } of EXTRA_RUNS) {
    const label = Object.entries(set).map(([name, value]) => `${name}=${value}`).join(",");
    test.runIf(courseNotebooks.includes(notebook))(`${notebook} with ${label}`, async () => {
      const out = path.join(EXECUTED_DIR, "variants", notebook.replace(/\.ipynb$/, `.${label}.ipynb`));
      const { code, output } = await runNotebook(path.join(NOTEBOOKS_DIR, notebook), out, set);
      expect(code, output).toBe(0);
    }, NOTEBOOK_TIMEOUT_MS);
  }
});

describe("notebook runner", () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "notebook-runner-"));
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  /** Writes a notebook of code cells (strings) and markdown cells ({ markdown }) into the scratch folder. */
  function writeNotebook(name: string, cells: (string | { markdown: string })[]): string {
    const file = path.join(scratch, name);
    const toCell = (cell: string | { markdown: string }, index: number) =>
      typeof cell === "string"
        ? { cell_type: "code", execution_count: null, id: `cell-${index}`, metadata: {}, outputs: [], source: cell }
        : { cell_type: "markdown", id: `cell-${index}`, metadata: {}, source: cell.markdown };
    const notebook = { cells: cells.map(toCell), metadata: { kernelspec: KERNELSPEC }, nbformat: 4, nbformat_minor: 5 };
    fs.writeFileSync(file, JSON.stringify(notebook));
    return file;
  }

  const settingCells = [
    { markdown: "# A setting" },
    "const NUM: number = 1; // changed by --set",
    'console.log("between");',
    "if (NUM !== 3) throw new Error(`NUM is ${NUM}, expected 3`);",
  ];

  test("stops at a type error and names the notebook and the cell", async () => {
    const file = writeNotebook("type-error.ipynb", [
      { markdown: "# Broken" },
      "const fine = 1;",
      'const wrong: number = "text";\nconsole.log(fine, wrong);',
      'console.log("never runs");',
    ]);
    const out = path.join(scratch, "type-error.out.ipynb");
    const { code, output } = await runNotebook(file, out);
    expect(code).toBe(1);
    expect(output).toContain('type-error.ipynb: code cell 2 (cell 3 counting all cells): `const wrong: number = "text";`');
    expect(output).toContain("Type 'string' is not assignable to type 'number'");
    const lastCell = readNotebook(out).cells[3];
    expect(lastCell.execution_count ?? null).toBeNull();
  }, RUNNER_TEST_TIMEOUT_MS);

  test("stops at a runtime error", async () => {
    const { code, output } = await runNotebook(writeNotebook("runtime-error.ipynb", settingCells), path.join(scratch, "out"));
    expect(code).toBe(1);
    expect(output).toContain("runtime-error.ipynb: code cell 3 (cell 4 counting all cells): `if (NUM !== 3)");
    expect(output).toContain("Error: NUM is 1, expected 3");
  }, RUNNER_TEST_TIMEOUT_MS);

  test("--set rewrites a top-level const before running", async () => {
    const file = writeNotebook("setting.ipynb", settingCells);
    const { code, output } = await runNotebook(file, path.join(scratch, "out"), { NUM: 3 });
    expect(code, output).toBe(0);
    expect(output).toContain("set NUM = 3 in code cell 1");
  }, RUNNER_TEST_TIMEOUT_MS);

  test("--set fails when the constant is missing", async () => {
    const file = writeNotebook("no-such-setting.ipynb", settingCells);
    const { code, output } = await runNotebook(file, path.join(scratch, "out"), { MISSING: 2 });
    expect(code).toBe(1);
    expect(output).toContain("--set MISSING=2: no top-level `const MISSING = ...;` line");
  }, RUNNER_TEST_TIMEOUT_MS);
});
