// scripts/setup.mjs and scripts/jupyter-env.mjs: the platform rules for Linux, macOS and Windows
// (pure functions, so all three are checked here on Linux), and the kernel this checkout registered.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { JUPYTER, KERNEL_LAUNCHER, ROOT, jupyterEnv, kernelSpec, libLink, pythonCandidates, venvPaths } from "../scripts/jupyter-env.mjs";

describe("platform rules", () => {
  test("a venv keeps its programs in Scripts\\*.exe on Windows and bin/ on Linux and macOS", () => {
    expect(venvPaths("C:\\course\\.venv", "win32")).toEqual({
      bin: "C:\\course\\.venv\\Scripts",
      python: "C:\\course\\.venv\\Scripts\\python.exe",
      jupyter: "C:\\course\\.venv\\Scripts\\jupyter.exe",
    });
    for (const platform of ["linux", "darwin"] as const) {
      expect(venvPaths("/home/a/course/.venv", platform)).toEqual({
        bin: "/home/a/course/.venv/bin",
        python: "/home/a/course/.venv/bin/python",
        jupyter: "/home/a/course/.venv/bin/jupyter",
      });
    }
  });

  test("Python is looked for as $PYTHON first, then python3/python (python/py on Windows)", () => {
    expect(pythonCandidates("linux", {})).toEqual(["python3", "python"]);
    expect(pythonCandidates("darwin", { PYTHON: "/opt/py312/bin/python3" })).toEqual(["/opt/py312/bin/python3", "python3", "python"]);
    expect(pythonCandidates("win32", {})).toEqual(["python", "py"]);
  });

  test("notebooks/lib is a relative symlink on Linux and macOS and a junction with an absolute target on Windows", () => {
    expect(libLink("/home/a/course", "linux")).toEqual({ target: "../lib", type: "dir" });
    expect(libLink("/Users/a/course", "darwin")).toEqual({ target: "../lib", type: "dir" });
    expect(libLink("C:\\Users\\a\\course", "win32")).toEqual({ target: "C:\\Users\\a\\course\\lib", type: "junction" });
  });

  test("the kernel spec starts node and the launcher by their paths, not through a shebang", () => {
    const spec = kernelSpec("C:\\Program Files\\nodejs\\node.exe", "C:\\course\\scripts\\tslab-kernel.cjs");
    expect(spec.argv).toEqual(["C:\\Program Files\\nodejs\\node.exe", "C:\\course\\scripts\\tslab-kernel.cjs", "kernel", "--config-path", "{connection_file}"]);
    expect(spec.display_name).toBe("TypeScript");
  });
});

describe("this checkout's set-up (npm test runs setup first)", () => {
  const listed = () => JSON.parse(execFileSync(JUPYTER, ["kernelspec", "list", "--json"], { env: jupyterEnv(), encoding: "utf8" })).kernelspecs;

  test("jupyter in the venv lists the TypeScript kernel alone, with node and the launcher as absolute paths", () => {
    const kernels = listed();
    expect(Object.keys(kernels)).toEqual(["tslab"]);
    const { argv, display_name } = kernels.tslab.spec;
    expect(display_name).toBe("TypeScript");
    expect(argv.slice(0, 2)).toEqual([process.execPath, KERNEL_LAUNCHER]);
    for (const file of argv.slice(0, 2)) expect(path.isAbsolute(file) && fs.existsSync(file), file).toBe(true);
    expect(path.relative(ROOT, kernels.tslab.resource_dir)).toBe(path.join(".venv", "share", "jupyter", "kernels", "tslab"));
  });

  test("the Python kernel that comes with JupyterLab stays hidden even from jupyter started without the project's environment", () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "setup-test-home-"));
    try {
      const bare = { PATH: process.env.PATH, HOME: home }; // no JUPYTER_* folders: what a terminal with the venv activated gives
      const kernels = JSON.parse(execFileSync(JUPYTER, ["kernelspec", "list", "--json"], { env: bare, encoding: "utf8" })).kernelspecs;
      expect(Object.keys(kernels)).toEqual(["tslab"]);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
    expect(fs.existsSync(path.join(ROOT, ".venv", "share", "jupyter", "kernels", "python3")), "ipykernel's spec is still installed").toBe(true);
  });

  test("notebooks/lib resolves to lib/ and git sees no change there", () => {
    expect(fs.realpathSync(path.join(ROOT, "notebooks", "lib"))).toBe(fs.realpathSync(path.join(ROOT, "lib")));
    expect(execFileSync("git", ["status", "--porcelain", "--", "notebooks/lib"], { cwd: ROOT, encoding: "utf8" })).toBe("");
  });
});
