// A room with no Wi-Fi: `npm run bundle` writes npm packages and Python wheels for every platform the
// README names; a fresh clone then installs from that bundle inside a network namespace that has
// only loopback (`node scripts/setup.mjs --bundle DIR`, before any `npm install`), starts JupyterLab
// there and runs a notebook. The bundle built here holds only this machine's platform and Python
// (--host-only): the full one (4 platforms x 5 Pythons, 635 MB) takes too long for every test run.
// It is built once (from the npm registry and PyPI, as `npm install` and the set-up do) and kept in
// .cache/bundle until its inputs change.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { NPM_PLATFORMS, PLATFORMS, PYTHON_VERSIONS, lockedPackages, targetsFor } from "../scripts/bundle";
import { ROOT, VENV_PYTHON } from "../scripts/jupyter-env.mjs";

const BUNDLE = path.join(ROOT, ".cache", "bundle");
const INPUTS = ["package-lock.json", "requirements.txt", "scripts/bundle.ts"];
const PORT = 8899; // free for sure: the namespace has its own ports
const TOKEN = "bundle-test";
/** How a wheel's file name names each of the bundle's platforms. */
const WHEEL_PLATFORM: Record<string, RegExp> = {
  "x86_64-manylinux_2_28": /manylinux\w*_x86_64/,
  "aarch64-apple-darwin": /macosx_\d+_\d+_(arm64|universal2)/,
  "x86_64-apple-darwin": /macosx_\d+_\d+_(x86_64|universal2)/,
  "x86_64-pc-windows-msvc": /win_amd64/,
};

function megabytes(dir: string): number {
  return Number(execFileSync("du", ["-sm", dir], { encoding: "utf8" }).split("\t")[0]);
}

/** One bundle for every run until package-lock.json, requirements.txt or the bundler change. */
function ensureBundle(): void {
  const stamp = createHash("sha256").update(INPUTS.map((file) => fs.readFileSync(path.join(ROOT, file), "utf8")).join("\0")).digest("hex");
  const stampFile = path.join(BUNDLE, "inputs.sha256");
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp) return;
  fs.rmSync(BUNDLE, { recursive: true, force: true });
  execFileSync(process.execPath, ["--import", "tsx", path.join(ROOT, "scripts", "bundle.ts"), "--out", BUNDLE, "--host-only"], { cwd: ROOT, stdio: "inherit" });
  fs.writeFileSync(stampFile, stamp);
}

describe("package-lock.json's packages for the bundle's platforms", () => {
  const lock = {
    packages: {
      "": { name: "course" },
      "node_modules/tslab": { version: "1.0.22" },
      "node_modules/@esbuild/win32-x64": { version: "0.28.2", os: ["win32"], cpu: ["x64"] },
      "node_modules/@esbuild/linux-arm64": { version: "0.28.2", os: ["linux"], cpu: ["arm64"] },
      "node_modules/lightningcss-linux-x64-musl": { version: "1.33.0", os: ["linux"], cpu: ["x64"], libc: ["musl"] },
      "node_modules/fsevents": { version: "2.3.3", os: ["darwin"] },
      "node_modules/vite/node_modules/esbuild": { version: "0.27.0" },
      "node_modules/linked": { link: true },
    },
  };

  test("keeps what Linux x64 (glibc), macOS or Windows x64 installs and nested copies by their own name", () => {
    expect(lockedPackages(lock, NPM_PLATFORMS)).toEqual(["tslab@1.0.22", "@esbuild/win32-x64@0.28.2", "fsevents@2.3.3", "esbuild@0.27.0"]);
  });
});

describe("the bundle's targets", () => {
  test("are every platform and Python, or with --host-only this machine's alone, and name an unknown host", () => {
    expect(targetsFor(false)).toEqual({ npm: NPM_PLATFORMS, wheels: PLATFORMS, pythons: PYTHON_VERSIONS });
    expect(targetsFor(true, { platform: "win32", arch: "x64" }, "3.12")).toEqual({ npm: [NPM_PLATFORMS[3]], wheels: [PLATFORMS[3]], pythons: ["3.12"] });
    expect(targetsFor(true, { platform: "darwin", arch: "arm64" }, "3.13").wheels[0][0]).toBe("aarch64-apple-darwin");
    expect(() => targetsFor(true, { platform: "linux", arch: "arm64" })).toThrow(/linux arm64.*leave the flag out/);
  });
});

describe.sequential("the offline bundle", () => {
  let clone = "";
  beforeAll(() => {
    ensureBundle();
    clone = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-clone-"));
  }, 40 * 60_000);
  afterAll(() => {
    if (clone) fs.rmSync(clone, { recursive: true, force: true });
  }, 10 * 60_000); // about 0.9 GB of files

  test("holds wheels of the compiled packages for this machine's platform and Python", () => {
    const wheels = fs.readdirSync(path.join(BUNDLE, "wheels"));
    const missing: string[] = [];
    const hostPython = execFileSync(VENV_PYTHON, ["-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"], { encoding: "utf8" }).trim();
    const targets = targetsFor(true, undefined, hostPython);
    for (const [platform] of targets.wheels) {
      for (const version of targets.pythons) {
        const cp = `cp${version.replace(".", "")}`;
        for (const pkg of ["numpy", "pyzmq", "tornado"]) {
          const found = wheels.some((w) => w.startsWith(`${pkg}-`) && (w.includes(`-${cp}-`) || w.includes("-abi3-")) && WHEEL_PLATFORM[platform].test(w));
          if (!found) missing.push(`${pkg} ${cp} ${platform}`);
        }
      }
    }
    expect(missing).toEqual([]);
    console.log(`bundle: ${megabytes(BUNDLE)} MB (npm cache ${megabytes(path.join(BUNDLE, "npm-cache"))} MB, ${wheels.length} wheels ${megabytes(path.join(BUNDLE, "wheels"))} MB)`);
  });

  test("a fresh clone installs from it with no network, starts JupyterLab offering TypeScript alone, runs a notebook, and git sees no change", () => {
    // core.symlinks=false: notebooks/lib arrives as a text file, as on Windows; setup makes the link.
    execFileSync("git", ["clone", "-q", "-c", "core.symlinks=false", ROOT, clone]);
    const env: NodeJS.ProcessEnv = { ...process.env, PIP_CONFIG_FILE: os.devNull, PIP_NO_INDEX: "1" };
    for (const key of Object.keys(env)) if (/^(PIP_FIND_LINKS|PIP_INDEX_URL|PIP_EXTRA_INDEX_URL|npm_config_.*)$/i.test(key)) delete env[key];
    const script = `
      set -e
      ip link set lo up
      test "$(ip -o link | wc -l)" = 1 # loopback alone
      node scripts/setup.mjs --bundle "$1"
      setsid npm start -- --no-browser --port ${PORT} --IdentityProvider.token=${TOKEN} > lab.log 2>&1 & LAB=$!
      node -e 'const url = process.argv[1]; (async () => { for (let i = 0; i < 120; i++) { try { const r = await fetch(url); if (r.ok) { console.log("kernelspecs", JSON.stringify(Object.keys((await r.json()).kernelspecs))); return; } } catch {} await new Promise((f) => setTimeout(f, 500)); } process.exit(1); })()' "http://127.0.0.1:${PORT}/api/kernelspecs?token=${TOKEN}"
      kill -TERM -- -$LAB # npm, setup and JupyterLab: their own process group
      node scripts/jupyter-env.mjs python scripts/run_notebook.py notebooks/01-calculator.ipynb --out "$PWD/.cache/01.ipynb" --timeout 600
      for i in $(seq 100); do kill -0 -- -$LAB 2>/dev/null || break; sleep 0.2; done
      ! kill -0 -- -$LAB 2>/dev/null # JupyterLab and setup have stopped
    `;
    const started = Date.now();
    const result = spawnSync("unshare", ["-n", "bash", "-c", script, "bash", BUNDLE], { cwd: clone, env, encoding: "utf8", timeout: 20 * 60_000 });
    const output = `${result.stdout}${result.stderr}`;
    expect(result.status, `${output}\n${fs.existsSync(path.join(clone, "lab.log")) ? fs.readFileSync(path.join(clone, "lab.log"), "utf8").slice(-3000) : ""}`).toBe(0);
    expect(output).toMatch(/npm packages: installed from/);
    expect(output).toMatch(/python packages: installed requirements\.txt from the bundle's wheels/);
    expect(output).toContain('kernelspecs ["tslab"]');
    expect(output).toMatch(/ok 01-calculator\.ipynb/);
    expect(output, "npm warned about install scripts").not.toMatch(/install-scripts/);
    fs.rmSync(path.join(clone, "lab.log"));
    expect(fs.realpathSync(path.join(clone, "notebooks", "lib"))).toBe(fs.realpathSync(path.join(clone, "lib")));
    expect(execFileSync("git", ["status", "--porcelain"], { cwd: clone, encoding: "utf8" })).toBe("");
    console.log(`offline install + JupyterLab + notebook 1: ${((Date.now() - started) / 1000).toFixed(0)} s; prepared folder ${megabytes(clone)} MB (node_modules ${megabytes(path.join(clone, "node_modules"))} MB, .venv ${megabytes(path.join(clone, ".venv"))} MB)`);
  }, 25 * 60_000);
});
