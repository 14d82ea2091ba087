// Shared by tests/notebooks.test.ts and tests/solutions.test.ts: scripts/run_notebook.py started the
// way both run it, and what they read back from an executed cell.
import { spawn } from "node:child_process";
import { NOTEBOOK_RUNNER, ROOT, VENV_PYTHON, jupyterEnv } from "../scripts/jupyter-env.mjs";

export interface RunnerResult {
  code: number | null;
  output: string; // stdout and stderr of the runner, interleaved
  seconds: number;
}

/** ["--set", "NAME=VALUE", ...] for the runner's --set or --rerun-set. */
export const settingArgs = (option: string, set: Record<string, string | number> = {}) =>
  Object.entries(set).flatMap(([name, value]) => [option, `${name}=${value}`]);

/**
 * Runs scripts/run_notebook.py on one notebook in the project's Jupyter environment, writing the
 * executed copy to `out`; `args` are further runner flags. With `prefix` the runner starts inside
 * that command (e.g. one that enters a network namespace and runs its arguments).
 */
export function runNotebook(notebook: string, out: string, args: string[] = [], prefix: string[] = []): Promise<RunnerResult> {
  const [command, ...commandArgs] = [...prefix, VENV_PYTHON, NOTEBOOK_RUNNER, notebook, "--out", out, ...args];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const runner = spawn(command, commandArgs, { cwd: ROOT, env: jupyterEnv() });
    let output = "";
    runner.stdout.on("data", (chunk) => (output += chunk));
    runner.stderr.on("data", (chunk) => (output += chunk));
    runner.on("error", reject);
    runner.on("close", (code) => resolve({ code, output, seconds: (Date.now() - started) / 1000 }));
  });
}

/** What a cell printed to stdout. */
export const stdoutOf = (cell: { outputs?: { name?: string; text?: string | string[] }[] }) =>
  (cell.outputs ?? []).filter((o) => o.name === "stdout").map((o) => [o.text ?? ""].flat().join("")).join("");
