// npm run clean: clears the outputs and execution counts of the notebooks in notebooks/ with
// `jupyter nbconvert --clear-output --inplace`, as they must be committed. Notebooks that are
// already clean are left untouched (nbconvert would rewrite their JSON layout).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { JUPYTER, NOTEBOOKS_DIR, jupyterEnv } from "./jupyter-env.mjs";

const hasOutputs = (file) =>
  (JSON.parse(fs.readFileSync(file, "utf8")).cells ?? []).some((cell) => cell.outputs?.length || cell.execution_count != null);

const notebooks = fs.readdirSync(NOTEBOOKS_DIR).filter((name) => name.endsWith(".ipynb")).sort();
const dirty = notebooks.filter((name) => hasOutputs(path.join(NOTEBOOKS_DIR, name)));
if (dirty.length) {
  const args = ["nbconvert", "--clear-output", "--inplace", "--log-level=WARN", ...dirty.map((name) => path.join(NOTEBOOKS_DIR, name))];
  const result = spawnSync(JUPYTER, args, { stdio: "inherit", env: jupyterEnv() });
  if (result.error || result.status !== 0) {
    console.error(`clean: jupyter nbconvert failed (${result.error?.message ?? `exit ${result.status}`}); run \`npm run setup\` first`);
    process.exit(1);
  }
}
for (const name of dirty) console.log(`cleared notebooks/${name}`);
console.log(`${dirty.length} notebook(s) cleared, ${notebooks.length - dirty.length} already clean`);
