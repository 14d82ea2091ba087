// Runs every course notebook as a learner would (tslab kernel, working directory notebooks/), twice
// in one runner call: the whole notebook, then every cell again in the same kernel (run_notebook.py
// --rerun); a notebook that leaves files behind runs a third time after a kernel restart
// (--restart), the one pass where those files could change what it does. The network is off (a new
// network namespace that has only loopback, when `unshare` can make one). Also checks that committed
// notebooks carry no outputs, and that the runner reports failures, tensor leaks and a namespace with a route out.
// Executed copies (the last pass) land in artifacts/executed/ (variants with --set in artifacts/executed/variants/).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { NOTEBOOKS_DIR, ROOT, VENV_PYTHON } from "../scripts/jupyter-env.mjs";
import { RunnerResult, runNotebook, settingArgs, stdoutOf } from "./runner-helpers";

const EXECUTED_DIR = path.join(ROOT, "artifacts", "executed");
const CELL_TIMEOUT_S = 420; // the training cell: up to TIME_BUDGET_SECONDS (240) plus its evaluations
const NOTEBOOK_TIMEOUT_MS = 12 * 60_000; // up to three passes; the training notebook's last pass trains for its full budget
const RUNNER_TEST_TIMEOUT_MS = 5 * 60_000; // a few kernel starts; generous for a loaded 2-core machine
const KERNELSPEC = { name: "tslab", display_name: "TypeScript", language: "typescript" };

/** Notebooks that write files (notebook 6 saves a checkpoint): a restarted kernel meets them, so these also run after a restart. */
const RESTART = new Set(["06-training.ipynb"]);

/**
 * Constants changed for every pass but the last, as an instructor changes a knob of the README's
 * "What to change live" table and runs the notebook, then changes it back and runs it again in the
 * same kernel; the last pass (the saved one) runs the notebook as committed, or with TEST_SETTINGS.
 * Notebooks 6 and 8 also get a shorter run here.
 */
const RERUN_SETTINGS: Record<string, Record<string, string | number>> = {
  "01-calculator.ipynb": { D_MODEL: 16 },
  "02-query-key-value.ipynb": { TEXT: '"seven times six"', WIDTHS: "[4, 16, 64, 256, D]", HEAD: 3 },
  "03-causal-masking.ipynb": { CHANGE_TO: '"nine"' },
  "05-transformer-block.ipynb": { DEPTH: 6 },
  "06-training.ipynb": { TIME_BUDGET_SECONDS: 10 },
  "08-long-contexts.ipynb": { LENGTHS: "[16, 32, 64, 128, 256]", D: 128 },
};

/** Constants changed for every pass (RERUN_SETTINGS still win before the last): notebook 6 trains for 240 s as committed; 30 s make a real, if short, run. */
const TEST_SETTINGS: Record<string, Record<string, string | number>> = {
  "06-training.ipynb": { TIME_BUDGET_SECONDS: 30 },
};

/** Notebooks run again (one pass) with top-level constants replaced; each run is skipped until its notebook exists. (tests/solutions.test.ts runs notebook 4 with 2 heads and notebook 6 with USE_SHIPPED_MODEL.) */
const EXTRA_RUNS: { notebook: string; set: Record<string, string | number> }[] = [
  { notebook: "04-multi-head-attention.ipynb", set: { NUM_HEADS: 1 } },
  { notebook: "04-multi-head-attention.ipynb", set: { NUM_HEADS: 8 } },
  { notebook: "06-training.ipynb", set: { TIME_BUDGET_SECONDS: 10, NUM_HEADS: 1, NUM_LAYERS: 1, D_MODEL: 32 } },
  { notebook: "07-experiments.ipynb", set: { LADDER_SOURCE: '"live"', STEPS: 20 } }, // as committed it reads the shipped ladder
];

const allNotebooks = fs.readdirSync(NOTEBOOKS_DIR).filter((name) => name.endsWith(".ipynb")).sort();
const courseNotebooks = allNotebooks.filter((name) => /^\d/.test(name));

/**
 * The command prefix that runs a program in a new network namespace with only loopback up (the kernel
 * talks to nbclient over 127.0.0.1), or a reason why there is none. As root `unshare -n` works; other
 * users need a user namespace as well (`unshare -rn`), which some systems forbid.
 */
function findOfflinePrefix(): { prefix: string[] } | { unavailable: string } {
  const problems: string[] = [];
  for (const flags of [["-n"], ["-rn"]]) {
    const probe = spawnSync("unshare", [...flags, "sh", "-c", "ip link set lo up"], { encoding: "utf8" });
    if (probe.status === 0) return { prefix: ["unshare", ...flags, "sh", "-c", 'ip link set lo up && eval "$0" && exec "$@"'] };
    problems.push(`unshare ${flags.join(" ")}: ${probe.error?.message ?? (probe.stderr.trim() || `exit ${probe.status}`)}`);
  }
  return { unavailable: problems.join("; ") };
}
const OFFLINE = findOfflinePrefix();
const OFFLINE_LABEL = "prefix" in OFFLINE ? "offline" : "offline: not available";
if (!("prefix" in OFFLINE)) console.warn(`offline: not available (${OFFLINE.unavailable}); notebooks run with the network on`);

interface RunOptions {
  set?: Record<string, string | number>;
  rerun?: boolean;
  restart?: boolean;
  rerunSet?: Record<string, string | number>;
  offline?: boolean; // inside a new network namespace (when one can be made), with the runner's --expect-offline check
  setupNamespace?: string; // shell commands run inside the namespace before the runner (tests of the check)
}

/** Runs scripts/run_notebook.py on one notebook with the course's cell timeout, offline when asked and possible. */
function runCourseNotebook(notebook: string, out: string, options: RunOptions = {}): Promise<RunnerResult> {
  const offline = options.offline && "prefix" in OFFLINE;
  const args = [
    "--timeout", String(CELL_TIMEOUT_S), ...settingArgs("--set", options.set), ...settingArgs("--rerun-set", options.rerunSet),
    ...(options.rerun ? ["--rerun"] : []), ...(options.restart ? ["--restart"] : []), ...(offline ? ["--expect-offline"] : []),
  ];
  return runNotebook(notebook, out, args, offline ? [...OFFLINE.prefix, options.setupNamespace ?? "true"] : []);
}

interface NotebookCell {
  cell_type: string;
  source: string | string[];
  outputs?: { output_type: string; name?: string; text?: string | string[] }[];
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
    expect(dirty, `cells with outputs or execution counts: run \`npm run clean\``).toEqual([]);
  });
});

describe(`course notebooks run without errors (${OFFLINE_LABEL})`, () => {
  const summary: string[] = []; // one line per notebook: time and tensors after each pass
  afterAll(() => {
    if (summary.length) console.log(`notebook runs (${OFFLINE_LABEL}):\n${summary.join("\n")}`);
  });

  const passesOf = (name: string) => (RESTART.has(name) ? "run, run again in the same kernel, run after a restart" : "run, run again in the same kernel");
  test.each(courseNotebooks.map((name) => [name, passesOf(name)]))(`%s: %s (${OFFLINE_LABEL})`, async (name) => {
    const [rerunSet, set, restart] = [RERUN_SETTINGS[name], TEST_SETTINGS[name], RESTART.has(name)];
    const { code, output, seconds } = await runCourseNotebook(path.join(NOTEBOOKS_DIR, name), path.join(EXECUTED_DIR, name), {
      rerun: true, restart, rerunSet, set, offline: true,
    });
    const tensors = output.match(/tensors: (.*)/)?.[1] ?? "(no count)";
    const listed = (values: Record<string, string | number>) => Object.entries(values).map(([k, v]) => `${k}=${v}`).join(", ");
    const short = `${set ? ` (with ${listed(set)})` : ""}${rerunSet ? ` (passes before the last with ${listed(rerunSet)})` : ""}`;
    summary.push(`${name}: ${seconds.toFixed(0)} s${short}; tensors ${tensors}`);
    expect(code, output).toBe(0);
    if ("prefix" in OFFLINE) expect(output).toMatch(/offline check passed: interfaces: lo; no route off the machine/);
    expect(output).toMatch(new RegExp(`${name} tensors: .*after pass ${restart ? 3 : 2}|${name} tensors: tfjs not loaded`));
  }, NOTEBOOK_TIMEOUT_MS);

  for (const { notebook, set } of EXTRA_RUNS) {
    const label = Object.entries(set).map(([name, value]) => `${name}=${value}`).join(",");
    test.runIf(courseNotebooks.includes(notebook))(`${notebook} with ${label} (${OFFLINE_LABEL})`, async () => {
      const out = path.join(EXECUTED_DIR, "variants", notebook.replace(/\.ipynb$/, `.${label}.ipynb`));
      const { code, output } = await runCourseNotebook(path.join(NOTEBOOKS_DIR, notebook), out, { set, offline: true });
      expect(code, output).toBe(0);
    }, NOTEBOOK_TIMEOUT_MS);
  }
});

describe("notebook runner", () => {
  let scratch: string;
  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "notebook-runner-"));
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(scratch, "node_modules")); // notebooks here can import tfjs
  });
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true })); // removes the link, not node_modules

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
    const { code, output } = await runCourseNotebook(file, out);
    expect(code).toBe(1);
    expect(output).toContain('type-error.ipynb: code cell 2 (cell 3 counting all cells): `const wrong: number = "text";`');
    expect(output).toContain("Type 'string' is not assignable to type 'number'");
    const lastCell = readNotebook(out).cells[3];
    expect(lastCell.execution_count ?? null).toBeNull();
  }, RUNNER_TEST_TIMEOUT_MS);

  test("stops at a runtime error", async () => {
    const { code, output } = await runCourseNotebook(writeNotebook("runtime-error.ipynb", settingCells), path.join(scratch, "out"));
    expect(code).toBe(1);
    expect(output).toContain("runtime-error.ipynb: code cell 3 (cell 4 counting all cells): `if (NUM !== 3)");
    expect(output).toContain("Error: NUM is 1, expected 3");
  }, RUNNER_TEST_TIMEOUT_MS);

  test("--set rewrites a top-level const before running", async () => {
    const file = writeNotebook("setting.ipynb", settingCells);
    const { code, output } = await runCourseNotebook(file, path.join(scratch, "out"), { set: { NUM: 3 } });
    expect(code, output).toBe(0);
    expect(output).toContain("set NUM = 3 in code cell 1");
  }, RUNNER_TEST_TIMEOUT_MS);

  test("--set fails when the constant is missing", async () => {
    const file = writeNotebook("no-such-setting.ipynb", settingCells);
    const { code, output } = await runCourseNotebook(file, path.join(scratch, "out"), { set: { MISSING: 2 } });
    expect(code).toBe(1);
    expect(output).toContain("--set MISSING=2: no top-level `const MISSING = ...;` line");
  }, RUNNER_TEST_TIMEOUT_MS);

  test("--rerun --restart runs the cells again in the same kernel, then after a restart; --rerun-set changes passes 1 and 2 only", async () => {
    const log = path.join(scratch, "passes.log");
    const file = writeNotebook("passes.ipynb", [
      "const BUDGET = 100;",
      "const runs = ((globalThis as { runs?: number }).runs ?? 0) + 1; // runs of this cell in this kernel\n" +
        "(globalThis as { runs?: number }).runs = runs;",
      `import * as fs from "fs";\nfs.appendFileSync(${JSON.stringify(log)}, \`\${BUDGET} \${runs}\\n\`);\nconsole.log(\`run \${runs}\`);`,
    ]);
    const out = path.join(scratch, "passes.out.ipynb");
    const { code, output } = await runCourseNotebook(file, out, { rerun: true, restart: true, rerunSet: { BUDGET: 1 } });
    expect(code, output).toBe(0);
    expect(fs.readFileSync(log, "utf8")).toBe("1 1\n1 2\n100 1\n"); // pass 2 in the same kernel, pass 3 in a fresh one
    fs.rmSync(log);
    const twice = await runCourseNotebook(file, out, { rerun: true, rerunSet: { BUDGET: 1 } });
    expect(twice.code, twice.output).toBe(0);
    expect(fs.readFileSync(log, "utf8")).toBe("1 1\n100 2\n"); // without --restart: pass 2, the last, in the same kernel as committed
    const saved = readNotebook(out).cells;
    expect(saved.map((cell) => cell.execution_count)).toEqual([1, 2, 3]);
    expect(stdoutOf(saved[2])).toBe("run 2\n");
    expect([saved[0].source].flat().join("")).toBe("const BUDGET = 100;");
    expect(output).toContain("passes.ipynb tensors: tfjs not loaded");
  }, RUNNER_TEST_TIMEOUT_MS);

  test("--rerun names the pass that fails", async () => {
    const file = writeNotebook("second-run-fails.ipynb", [
      'if ((globalThis as { ranBefore?: boolean }).ranBefore) throw new Error("this cell ran before");\n' +
        "(globalThis as { ranBefore?: boolean }).ranBefore = true;",
    ]);
    const { code, output } = await runCourseNotebook(file, path.join(scratch, "out"), { rerun: true });
    expect(code).toBe(1);
    expect(output).toContain("second-run-fails.ipynb, pass 2 of 2 (run again in the same kernel): code cell 1");
    expect(output).toContain("Error: this cell ran before");
  }, RUNNER_TEST_TIMEOUT_MS);

  test("--rerun fails when running the cells again leaves more tensors, and reports the counts", async () => {
    const cells = (leak: string) => [
      'import * as tf from "@tensorflow/tfjs";\ntf.enableProdMode();\nawait tf.setBackend("cpu");',
      `const kept = ${leak}; // [3]`,
    ];
    const leaking = await runCourseNotebook(writeNotebook("leaks.ipynb", cells("tf.zeros([3])")), path.join(scratch, "out"), { rerun: true });
    expect(leaking.code).toBe(1);
    expect(leaking.output).toContain(
      "leaks.ipynb, pass 2 of 2 (run again in the same kernel): tfjs holds 2 tensors, 1 more than after the first run (1)",
    );
    const tidy = await runCourseNotebook(writeNotebook("tidy.ipynb", cells("tf.tidy(() => tf.zeros([3]).add(1).sum().dataSync()[0])")), path.join(scratch, "out"), { rerun: true });
    expect(tidy.code, tidy.output).toBe(0);
    expect(tidy.output).toContain("tidy.ipynb tensors: 0 (0 bytes) after pass 1, 0 (0 bytes) after pass 2");
  }, RUNNER_TEST_TIMEOUT_MS);

  test("starts a kernel that did not start again, and after three failed starts names the notebook", async () => {
    const file = writeNotebook("flaky-start.ipynb", ['console.log("ran");']);
    const flaky = (failures: number) => {
      process.env.FAIL_STARTS = String(failures);
      return runNotebook(file, path.join(scratch, "out"), [], [VENV_PYTHON, path.join(__dirname, "fixtures", "flaky-kernel-start.py")]);
    };
    try {
      const once = await flaky(1);
      expect(once.code, once.output).toBe(0);
      expect(once.output).toContain("flaky-start.ipynb: the kernel did not start (Kernel didn't respond in 60 seconds); starting another");
      const never = await flaky(3);
      expect(never.code).toBe(1);
      expect(never.output).toContain("FAIL flaky-start.ipynb: the kernel did not start in 3 attempts");
    } finally {
      delete process.env.FAIL_STARTS;
    }
  }, RUNNER_TEST_TIMEOUT_MS);

  test("a cell that sends 1,500 outputs in a burst keeps its kernel and every output (scripts/tslab-kernel.cjs)", async () => {
    const file = writeNotebook("burst.ipynb", [
      'import * as tslab from "tslab";\nfor (let i = 0; i < 1500; i++) tslab.display.text(`output ${i}`);',
      'console.log("still alive");',
    ]);
    const out = path.join(scratch, "burst.out.ipynb");
    const { code, output } = await runCourseNotebook(file, out);
    expect(code, output).toBe(0);
    const [burst, after] = readNotebook(out).cells;
    expect(burst.outputs?.filter((o) => o.output_type === "display_data")).toHaveLength(1500);
    expect(stdoutOf(after)).toBe("still alive\n");
  }, RUNNER_TEST_TIMEOUT_MS);

  // The check reads interfaces and routes; it sends no packet. To see it fail, a namespace of its own gets a
  // pair of virtual interfaces (veth) with an address and a default route: a network that leads nowhere.
  test.runIf("prefix" in OFFLINE)("--expect-offline passes with only loopback, fails with an interface and a default route", async () => {
    const file = writeNotebook("offline-check.ipynb", ['console.log("ran");']);
    const offline = await runCourseNotebook(file, path.join(scratch, "out"), { offline: true });
    expect(offline.code, offline.output).toBe(0);
    expect(offline.output).toMatch(/offline check passed: interfaces: lo; no route off the machine/);
    const withRoute = ["ip link add eth9 type veth peer name eth10", "ip addr add 10.99.0.2/24 dev eth9",
      "ip link set eth9 up", "ip link set eth10 up", "ip route add default via 10.99.0.1"].join(" && ");
    const online = await runCourseNotebook(file, path.join(scratch, "out"), { offline: true, setupNamespace: withRoute });
    expect(online.code).toBe(1);
    expect(online.output).toContain("--expect-offline: this machine can reach a network: interface ");
    expect(online.output).toContain("interface eth9 exists");
    expect(online.output).toContain("IPv4 route to 0.0.0.0/0 via eth9");
    expect(online.output).not.toContain("ran");
  }, RUNNER_TEST_TIMEOUT_MS);

});
