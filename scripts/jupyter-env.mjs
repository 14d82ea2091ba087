// Where the Python/Jupyter side of the project lives, and the environment every Jupyter process
// gets: all Jupyter, IPython and pip state stays inside the project, nothing goes to $HOME.
// The platform rules are pure functions of `platform` so tests check Windows and macOS on Linux.
// Run directly to start a venv command in that environment:
// `node scripts/jupyter-env.mjs python scripts/run_notebook.py notebooks/01-x.ipynb`.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A venv's programs: `Scripts\*.exe` on Windows, `bin/*` elsewhere.
 * @param {string} venvDir
 */
export function venvPaths(venvDir, platform = process.platform) {
  const windows = platform === "win32";
  const join = windows ? path.win32.join : path.posix.join;
  const bin = join(venvDir, windows ? "Scripts" : "bin");
  const exe = (name) => join(bin, windows ? `${name}.exe` : name);
  return { bin, python: exe("python"), jupyter: exe("jupyter") };
}

/** Python commands to try for creating the venv, in order ($PYTHON first; Windows has `python` and the `py` launcher). */
export function pythonCandidates(platform = process.platform, env = process.env) {
  return [env.PYTHON, ...(platform === "win32" ? ["python", "py"] : ["python3", "python"])].filter(Boolean);
}

/**
 * How notebooks/lib points at lib/: a relative symlink where git checks one out (Linux, macOS);
 * a junction on Windows, which needs no administrator or developer mode but an absolute target.
 * @param {string} root
 * @returns {{ target: string, type: "dir" | "junction" }}
 */
export function libLink(root, platform = process.platform) {
  return platform === "win32"
    ? { target: path.win32.join(root, "lib"), type: "junction" }
    : { target: "../lib", type: "dir" };
}

/**
 * The kernel spec: node and the launcher by absolute path, so no shebang and no `node` on PATH are needed.
 * @param {string} nodePath
 * @param {string} launcher
 */
export function kernelSpec(nodePath, launcher) {
  return { argv: [nodePath, launcher, "kernel", "--config-path", "{connection_file}"], display_name: "TypeScript", language: "typescript" };
}

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const NOTEBOOKS_DIR = path.join(ROOT, "notebooks");
export const VENV_DIR = path.join(ROOT, ".venv");
export const { bin: VENV_BIN, python: VENV_PYTHON, jupyter: JUPYTER } = venvPaths(VENV_DIR);
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
