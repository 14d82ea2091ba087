// Every hidden exercise solution, dropped into its exercise cell, prints PASS. An exercise is a code
// cell containing "// TODO"; its solution is the next markdown cell that starts
// "<details><summary>Show a solution</summary>" and holds one ```typescript block, the whole
// replacement for that cell. For each course notebook this builds a copy with every solution in
// place (next to a `lib` link, so "./lib/..." imports work), runs it once through
// scripts/run_notebook.py, and reads each solution cell's output.
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { NOTEBOOKS_DIR, ROOT } from "../scripts/jupyter-env.mjs";
import { runNotebook, settingArgs, stdoutOf } from "./runner-helpers";

const SOLUTION_START = "<details><summary>Show a solution</summary>";
const SOLUTION_CODE = /```typescript\n([\s\S]*?)```/g;
const CELL_TIMEOUT_S = 420;
const NOTEBOOK_TIMEOUT_MS = 10 * 60_000;
/**
 * Constants replaced for the run (the runner's --set), so that training notebooks take seconds, not
 * minutes. Two of them also try a knob the instructor may change (this run is the only one with it):
 * notebook 4 with 2 heads, notebook 6 from the shipped model instead of its own training.
 */
const SHORT_SETTINGS: Record<string, Record<string, string | number>> = {
  "04-multi-head-attention.ipynb": { NUM_HEADS: 2 },
  "06-training.ipynb": { USE_SHIPPED_MODEL: "true" },
  "07-experiments.ipynb": { STEPS: 20 },
  "08-long-contexts.ipynb": { LENGTHS: "[16, 32, 64, 128, 256]" },
};

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
}

interface Cell {
  cell_type: string;
  source: string | string[];
  metadata: Record<string, unknown>;
  outputs?: Output[];
}

interface Notebook {
  cells: Cell[];
}

interface Exercise {
  exerciseCell: number; // index of the "// TODO" code cell
  solutionCell: number; // index of the markdown cell holding its solution
  code: string;
}

const sourceOf = (cell: Cell) => [cell.source].flat().join("");

/** Pairs each solution with the last exercise cell before it that has none yet; throws on a solution with no exercise or not one code block. */
function findExercises(notebook: Notebook, name: string): Exercise[] {
  const open: number[] = [];
  const exercises: Exercise[] = [];
  notebook.cells.forEach((cell, index) => {
    const source = sourceOf(cell);
    if (cell.cell_type === "code" && source.includes("// TODO")) open.push(index);
    if (cell.cell_type !== "markdown" || !source.startsWith(SOLUTION_START)) return;
    const blocks = [...source.matchAll(SOLUTION_CODE)].map((m) => m[1]);
    if (blocks.length !== 1) throw new Error(`${name}: the solution in cell ${index + 1} holds ${blocks.length} typescript blocks; expected 1.`);
    const exerciseCell = open.pop();
    if (exerciseCell === undefined) throw new Error(`${name}: the solution in cell ${index + 1} follows no "// TODO" code cell.`);
    exercises.push({ exerciseCell, solutionCell: index, code: blocks[0] });
  });
  return exercises;
}

/** The notebook with each exercise cell replaced by its solution and tagged with the solution's cell number. */
function withSolutions(notebook: Notebook, exercises: Exercise[]): Notebook {
  const cells = notebook.cells.map((cell) => ({ ...cell, metadata: { ...cell.metadata } }));
  for (const { exerciseCell, solutionCell, code } of exercises) {
    cells[exerciseCell].source = code;
    cells[exerciseCell].metadata.solution_from_cell = solutionCell + 1;
  }
  return { ...notebook, cells };
}

/** What each solution cell printed in an executed notebook: passed when it printed "PASS (" and no "NOT YET". */
function verdicts(executed: Notebook): { cell: number; passed: boolean; printed: string }[] {
  return executed.cells
    .map((cell, index) => ({ cell, index }))
    .filter(({ cell }) => cell.metadata.solution_from_cell !== undefined)
    .map(({ cell, index }) => {
      const printed = stdoutOf(cell);
      return { cell: index + 1, passed: /^PASS \(/m.test(printed) && !/NOT YET/.test(printed), printed };
    });
}

const courseNotebooks = fs.readdirSync(NOTEBOOKS_DIR).filter((name) => /^\d.*\.ipynb$/.test(name)).sort();
const readNotebook = (file: string): Notebook => JSON.parse(fs.readFileSync(file, "utf8"));
// Inside the project, so that the notebooks' packages resolve from its node_modules (not in /tmp).
const WORK_PARENT = path.join(ROOT, "artifacts", "solutions");
fs.mkdirSync(WORK_PARENT, { recursive: true });
const workDir = fs.mkdtempSync(path.join(WORK_PARENT, "run-"));
fs.symlinkSync(path.join(ROOT, "lib"), path.join(workDir, "lib"), "dir");

describe("finding and judging solutions", () => {
  const markdown = (source: string): Cell => ({ cell_type: "markdown", source, metadata: {} });
  const code = (source: string, stdout?: string): Cell => ({
    cell_type: "code", source, metadata: {}, outputs: stdout === undefined ? [] : [{ output_type: "stream", name: "stdout", text: stdout }],
  });
  const solution = (body: string) => markdown(`${SOLUTION_START}\n\n\`\`\`typescript\n${body}\n\`\`\`\n</details>`);

  test("pairs each solution with the exercise before it and puts it in that cell", () => {
    const notebook = { cells: [code("a // TODO"), solution("a solved"), code("other"), code("b // TODO"), markdown("hint"), solution("b solved")] };
    const exercises = findExercises(notebook, "x");
    expect(exercises.map((e) => [e.exerciseCell, e.solutionCell])).toEqual([[0, 1], [3, 5]]);
    const solved = withSolutions(notebook, exercises);
    expect(solved.cells.map(sourceOf)).toEqual(["a solved\n", notebook.cells[1].source, "other", "b solved\n", "hint", notebook.cells[5].source]);
    expect(solved.cells[3].metadata.solution_from_cell).toBe(6);
  });

  test("rejects a solution with no exercise before it, or with two code blocks", () => {
    expect(() => findExercises({ cells: [solution("x")] }, "x.ipynb")).toThrow(/cell 1 follows no "\/\/ TODO" code cell/);
    const two = markdown(`${SOLUTION_START}\n\`\`\`typescript\na\n\`\`\`\n\`\`\`typescript\nb\n\`\`\``);
    expect(() => findExercises({ cells: [code("// TODO"), two] }, "x.ipynb")).toThrow(/holds 2 typescript blocks/);
  });

  test("a solution that prints NOT YET, or nothing, fails", () => {
    const tagged = (cell: Cell): Cell => ({ ...cell, metadata: { solution_from_cell: 2 } });
    const executed = {
      cells: [tagged(code("", "PASS (scores): your answer matches.\n")), tagged(code("", "NOT YET (scores): at [0]: got 1, expected 2.\n")), tagged(code(""))],
    };
    expect(verdicts(executed).map((v) => v.passed)).toEqual([true, false, false]);
  });
});

describe("every hidden solution, dropped into its cell, prints PASS", () => {
  const times: string[] = [];
  afterAll(() => {
    console.log(`solution runs (one pass each):\n${times.join("\n")}`);
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  test.each(courseNotebooks)("%s", async (name) => {
    const notebook = readNotebook(path.join(NOTEBOOKS_DIR, name));
    const exercises = findExercises(notebook, name);
    if (exercises.length === 0) return;
    const solved = path.join(workDir, name);
    const executed = path.join(workDir, name.replace(/\.ipynb$/, ".executed.ipynb"));
    fs.writeFileSync(solved, JSON.stringify(withSolutions(notebook, exercises), null, 1));
    const started = Date.now();
    const { code, output } = await runNotebook(solved, executed, ["--timeout", String(CELL_TIMEOUT_S), ...settingArgs("--set", SHORT_SETTINGS[name])]);
    times.push(`${name}: ${exercises.length} solutions, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    expect(code, output).toBe(0);
    const results = verdicts(readNotebook(executed));
    expect(results).toHaveLength(exercises.length);
    for (const { cell, passed, printed } of results) expect(passed, `${name} cell ${cell} (its solution) printed:\n${printed}`).toBe(true);
  }, NOTEBOOK_TIMEOUT_MS);
});
