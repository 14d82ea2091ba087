// Types for scripts/jupyter-env.mjs (plain Node so setup runs before any build step).
export const ROOT: string;
export const NOTEBOOKS_DIR: string;
export const VENV_DIR: string;
export const VENV_BIN: string;
export const VENV_PYTHON: string;
export const JUPYTER: string;
export const TSLAB: string;
export const KERNEL_LAUNCHER: string;
export const NOTEBOOK_RUNNER: string;
export const STATE_DIRS: Record<
  "JUPYTER_CONFIG_DIR" | "JUPYTER_DATA_DIR" | "JUPYTER_RUNTIME_DIR" | "IPYTHONDIR" | "PIP_CACHE_DIR",
  string
>;
export function jupyterEnv(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
