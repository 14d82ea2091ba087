// npm run reset: puts the notebooks in notebooks/ back to their committed version (after a workshop
// session they hold the instructor's edits and JupyterLab's autosaved outputs). Only tracked .ipynb
// files are restored; checkpoints/, new notebooks and every other untracked file stay as they are.
import { spawnSync } from "node:child_process";
import { NOTEBOOKS_DIR, ROOT } from "./jupyter-env.mjs";

function git(...args) {
  const result = spawnSync("git", args, { cwd: ROOT, encoding: "utf8" });
  if (result.error || result.status !== 0) {
    console.error(`reset: git ${args.join(" ")} failed: ${result.error?.message ?? result.stderr.trim()}`);
    console.error("npm run reset needs git and a git checkout of the course");
    process.exit(1);
  }
  return result.stdout;
}

// Changed or deleted tracked notebooks, staged or not, as paths relative to the repository.
const changed = git("diff", "--name-only", "HEAD", "--", `${NOTEBOOKS_DIR}/*.ipynb`).split("\n").filter(Boolean);
if (changed.length) git("checkout", "HEAD", "--", ...changed);
for (const file of changed) console.log(`restored ${file}`);
console.log(changed.length ? `${changed.length} notebook(s) restored from git` : "every notebook already matches git");
