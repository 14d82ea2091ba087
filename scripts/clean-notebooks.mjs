// npm run clean: puts the notebooks in notebooks/ in their committed form. Outputs and execution counts
// are cleared with `jupyter nbconvert --clear-output --inplace`; the notebook-level kernelspec and
// language_info are set to what the kernel reports (COURSE_METADATA): JupyterLab copies the kernel's
// language_info into a notebook when its kernel connects, and a notebook that lacked any of it showed as
// modified right after opening. Notebooks that are already clean are left untouched (nbconvert would
// rewrite their JSON layout).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { JUPYTER, NOTEBOOKS_DIR, jupyterEnv } from "./jupyter-env.mjs";

/**
 * The kernelspec the kernel is registered with (scripts/jupyter-env.mjs kernelSpec) and the language_info of
 * tslab's kernel_info_reply (tests/kernel-status.test.ts compares them with a running kernel), keys sorted
 * as nbformat writes them.
 */
export const COURSE_METADATA = {
  kernelspec: { display_name: "TypeScript", language: "typescript", name: "tslab" },
  language_info: {
    codemirror_mode: { mode: "typescript", name: "javascript", typescript: true },
    file_extension: ".ts",
    mimetype: "text/typescript",
    name: "typescript",
    version: "3.7.2",
  },
};

/** @param {{ cells?: { outputs?: unknown[], execution_count?: number | null }[] }} notebook */
export const hasOutputs = (notebook) => (notebook.cells ?? []).some((cell) => cell.outputs?.length || cell.execution_count != null);

/**
 * A notebook's metadata with COURSE_METADATA in place and every other key kept, keys sorted.
 * @param {Record<string, unknown>} metadata
 */
export function withCourseMetadata(metadata) {
  return Object.fromEntries(Object.entries({ ...metadata, ...COURSE_METADATA }).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** @param {string} file */
const readNotebook = (file) => JSON.parse(fs.readFileSync(file, "utf8"));

/** Sets COURSE_METADATA in the file; reads it just before writing and changes nothing but the metadata. */
function setCourseMetadata(file) {
  const notebook = readNotebook(file);
  const metadata = withCourseMetadata(notebook.metadata ?? {});
  if (JSON.stringify(metadata) === JSON.stringify(notebook.metadata)) return false;
  fs.writeFileSync(file, JSON.stringify({ ...notebook, metadata }, null, 1) + "\n"); // nbformat's layout
  return true;
}

function main() {
  // The course's notebooks (01-..., 02-...); a learner's own notebook in the folder is left alone.
  const notebooks = fs.readdirSync(NOTEBOOKS_DIR).filter((name) => /^\d.*\.ipynb$/.test(name)).sort();
  const file = (name) => path.join(NOTEBOOKS_DIR, name);
  const withOutputs = notebooks.filter((name) => hasOutputs(readNotebook(file(name))));
  if (withOutputs.length) {
    const args = ["nbconvert", "--clear-output", "--inplace", "--log-level=WARN", ...withOutputs.map(file)];
    const result = spawnSync(JUPYTER, args, { stdio: "inherit", env: jupyterEnv() });
    if (result.error || result.status !== 0) {
      console.error(`clean: jupyter nbconvert failed (${result.error?.message ?? `exit ${result.status}`}); run \`npm run setup\` first`);
      process.exit(1);
    }
  }
  const cleared = new Set(withOutputs);
  for (const name of notebooks) if (setCourseMetadata(file(name))) cleared.add(name);
  for (const name of notebooks.filter((n) => cleared.has(n))) console.log(`cleared notebooks/${name}`);
  console.log(`${cleared.size} notebook(s) cleared, ${notebooks.length - cleared.size} already clean`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
