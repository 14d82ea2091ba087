// Where the Python/Jupyter side of the project lives, and the environment every Jupyter process
// gets: all Jupyter, IPython and pip state stays inside the project, nothing goes to $HOME.
// Used by scripts/setup.mjs and tests/notebooks.test.ts. Run directly to start a venv command
// in that environment: `node scripts/jupyter-env.mjs python scripts/run_notebook.py notebooks/01-x.ipynb`.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const windows = process.platform === "win32";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const NOTEBOOKS_DIR = path.join(ROOT, "notebooks");
export const VENV_DIR = path.join(ROOT, ".venv");
export const VENV_BIN = path.join(VENV_DIR, windows ? "Scripts" : "bin");
export const VENV_PYTHON = path.join(VENV_BIN, windows ? "python.exe" : "python");
export const JUPYTER = path.join(VENV_BIN, windows ? "jupyter.exe" : "jupyter");
export const TSLAB = path.join(ROOT, "node_modules", ".bin", windows ? "tslab.cmd" : "tslab");
/** What Jupyter starts as the kernel: tslab with its zeromq sends queued (see the file). */
export const KERNEL_LAUNCHER = path.join(ROOT, "scripts", "tslab-kernel.cjs");
export const NOTEBOOK_RUNNER = path.join(ROOT, "scripts", "run_notebook.py");

/** Project-local state folders, by environment variable. */
export const STATE_DIRS = {
  JUPYTER_CONFIG_DIR: path.join(ROOT, ".jupyter", "config"),
  JUPYTER_DATA_DIR: path.join(ROOT, ".jupyter", "data"),
  JUPYTER_RUNTIME_DIR: path.join(ROOT, ".jupyter", "runtime"),
  IPYTHONDIR: path.join(ROOT, ".jupyter", "ipython"),
  PIP_CACHE_DIR: path.join(ROOT, ".cache", "pip"),
};

/** process.env plus the state folders, with the venv first on PATH (what `activate` does). */
export function jupyterEnv(base = process.env) {
  const pathKey = Object.keys(base).find((key) => key.toUpperCase() === "PATH") ?? "PATH";
  return {
    ...base,
    ...STATE_DIRS,
    VIRTUAL_ENV: VENV_DIR,
    [pathKey]: [VENV_BIN, base[pathKey]].filter(Boolean).join(path.delimiter),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    console.error("usage: node scripts/jupyter-env.mjs <venv command> [args...]");
    process.exit(2);
  }
  const result = spawnSync(path.join(VENV_BIN, command), args, { stdio: "inherit", env: jupyterEnv() });
  if (result.error) throw result.error;
  process.exit(result.status ?? 1);
}
