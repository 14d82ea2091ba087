// Types for scripts/jupyter-env.mjs (plain Node so setup runs before any build step).
export function venvPaths(venvDir: string, platform?: NodeJS.Platform): { bin: string; python: string; jupyter: string };
export function pythonCandidates(platform?: NodeJS.Platform, env?: NodeJS.ProcessEnv): string[];
export function libLink(root: string, platform?: NodeJS.Platform): { target: string; type: "dir" | "junction" };
export function kernelSpec(nodePath: string, launcher: string): { argv: string[]; display_name: string; language: string };
export const ROOT: string;
export const NOTEBOOKS_DIR: string;
export const VENV_DIR: string;
export const VENV_BIN: string;
export const VENV_PYTHON: string;
export const JUPYTER: string;
export const KERNEL_LAUNCHER: string;
export const NOTEBOOK_RUNNER: string;
export const STATE_DIRS: Record<
  "JUPYTER_CONFIG_DIR" | "JUPYTER_DATA_DIR" | "JUPYTER_RUNTIME_DIR" | "IPYTHONDIR" | "PIP_CACHE_DIR",
  string
>;
export function jupyterEnv(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
