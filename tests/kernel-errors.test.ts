// Errors a learner meets in a notebook start with lib's message (scripts/kernel-errors.cjs, which the
// kernel launcher installs): first on a recorded tslab stack, then in a real kernel run.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { NOTEBOOK_RUNNER, ROOT, VENV_PYTHON, jupyterEnv } from "../scripts/jupyter-env.mjs";
import { describeError } from "../scripts/kernel-errors.cjs";

/** An error with the stack tslab's kernel gave for checkHeads({ dModel: 32, numHeads: 3 }) in a notebook cell. */
function recordedError(): Error {
  const message = "numHeads 3 does not divide dModel 32: each head needs a whole slice of D (use one of 1, 2, 4, 8, 16, 32).";
  const error = new Error(message);
  error.stack = [
    `${ROOT}/notebooks/lib/multihead.js:37`,
    "        throw new Error(`numHeads ${numHeads} does not divide dModel ${dModel}: ...`);",
    "        ^",
    "",
    `Error: ${message}`,
    `    at Proxy.checkHeads (${ROOT}/notebooks/lib/multihead.js:37:15)`,
    "    at evalmachine.<anonymous>:9:9",
    "    at oneHeadWeights (evalmachine.<anonymous>:4:20)",
    "    at sigintHandlersWrap (node:vm:280:12)",
    "    at Script.runInThisContext (node:vm:135:14)",
    `    at Object.execute (${ROOT}/node_modules/tslab/dist/executor.js:160:38)`,
    `    at JupyterHandlerImpl.handleExecuteImpl (${ROOT}/node_modules/tslab/dist/jupyter.js:250:38)`,
    `    at ${ROOT}/node_modules/tslab/dist/jupyter.js:208:57`,
    `    at reshape (${ROOT}/node_modules/@tensorflow/tfjs-core/dist/tf-core.node.js:1234:5)`,
  ].join("\n");
  return error;
}

describe("describeError", () => {
  test("starts with the message and keeps only lib, tfjs and named cell frames", () => {
    expect(describeError(recordedError()).split("\n")).toEqual([
      "Error: numHeads 3 does not divide dModel 32: each head needs a whole slice of D (use one of 1, 2, 4, 8, 16, 32).",
      "    at checkHeads (lib/multihead.ts)",
      "    at oneHeadWeights (a notebook cell)",
      "    at reshape (node_modules/@tensorflow/tfjs-core/dist/tf-core.node.js:1234:5)",
    ]);
  });

  test("keeps the error's own name and works without a stack", () => {
    const error = new TypeError("x is not a function");
    error.stack = undefined;
    expect(describeError(error)).toBe("TypeError: x is not a function");
  });
});

describe("in a notebook run by the kernel", () => {
  let scratch: string;
  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "kernel-errors-"));
    for (const name of ["node_modules", "lib"]) fs.symlinkSync(path.join(ROOT, name), path.join(scratch, name));
  });
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true })); // removes the links, not what they point to

  /** Runs a one-cell notebook; returns the cell's stderr text. */
  function stderrOfCell(source: string): string {
    const notebook = {
      cells: [{ cell_type: "code", execution_count: null, id: "cell-0", metadata: {}, outputs: [], source }],
      metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
      nbformat: 4, nbformat_minor: 5,
    };
    const file = path.join(scratch, "error.ipynb");
    const out = path.join(scratch, "error.out.ipynb");
    fs.writeFileSync(file, JSON.stringify(notebook));
    const run = spawnSync(VENV_PYTHON, [NOTEBOOK_RUNNER, file, "--out", out, "--timeout", "120"], { cwd: ROOT, env: jupyterEnv(), encoding: "utf8" });
    expect(run.status, run.stdout + run.stderr).toBe(1); // the cell fails
    const [cell] = JSON.parse(fs.readFileSync(out, "utf8")).cells;
    return cell.outputs.filter((o: { name?: string }) => o.name === "stderr").map((o: { text: string | string[] }) => [o.text].flat().join("")).join("");
  }

  test("lib's error is shown first, without the compiled .js line or tslab's frames", () => {
    const stderr = stderrOfCell('import { checkHeads } from "./lib/multihead";\ncheckHeads({ dModel: 32, numHeads: 3 });');
    expect(stderr.split("\n")).toEqual([
      "Error: numHeads 3 does not divide dModel 32: each head needs a whole slice of D (use one of 1, 2, 4, 8, 16, 32).",
      "    at checkHeads (lib/multihead.ts)",
      "",
    ]);
  }, 120_000);

  test("an unknown word: lib's message first", () => {
    const stderr = stderrOfCell('import { encode } from "./lib/vocab";\nencode("two plsu three");');
    expect(stderr).toMatch(/^Error: Unknown word "plsu": it is not in the vocabulary of \d+ words\. Did you mean/);
    expect(stderr).not.toMatch(/tslab|node:vm|\.js:\d+/);
  }, 120_000);
});
