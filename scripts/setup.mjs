// Sets up the Python/Jupyter side of the course; safe to run again (finished steps are skipped).
//   node scripts/setup.mjs            venv + requirements, tslab kernel, notebooks/lib link
//   node scripts/setup.mjs --start    the same, then JupyterLab on notebooks/ (extra args go to jupyter lab)
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { JUPYTER, KERNEL_LAUNCHER, NOTEBOOKS_DIR, ROOT, STATE_DIRS, TSLAB, VENV_DIR, VENV_PYTHON, jupyterEnv } from "./jupyter-env.mjs";

const MIN_PYTHON = [3, 10]; // requirements.txt pins need it (jupyterlab 4.6 requires >= 3.10)
const REQUIREMENTS = path.join(ROOT, "requirements.txt");
const STAMP = path.join(VENV_DIR, "requirements.stamp");
const KERNEL_JSON = path.join(VENV_DIR, "share", "jupyter", "kernels", "tslab", "kernel.json");
const LIB_LINK = path.join(NOTEBOOKS_DIR, "lib");
const env = jupyterEnv();

function fail(message) {
  console.error(`setup: ${message}`);
  process.exit(1);
}

/** Runs a command to completion with the Jupyter environment; returns stdout, fails setup on error. */
function run(command, args, { quiet = false } = {}) {
  const result = spawnSync(command, args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (result.status === 0) return result.stdout;
  if (!quiet) process.stderr.write(`${result.stdout ?? ""}${result.stderr ?? ""}`);
  throw new Error(`${command} ${args.join(" ")} failed (${result.error?.message ?? `exit ${result.status}`})`);
}

function pythonVersion(python) {
  try {
    return run(python, ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"], { quiet: true }).trim();
  } catch {
    return undefined;
  }
}

function findPython() {
  const candidates = [process.env.PYTHON, "python3", "python"].filter(Boolean);
  for (const python of candidates) {
    const version = pythonVersion(python);
    if (!version) continue;
    const [major, minor] = version.split(".").map(Number);
    if (major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1])) return { python, version };
    fail(`${python} is Python ${version}; the course needs Python >= ${MIN_PYTHON.join(".")} (or set $PYTHON).`);
  }
  fail(`no Python found (tried ${candidates.join(", ")}); install Python >= ${MIN_PYTHON.join(".")} or set $PYTHON.`);
}

function step(name, work) {
  const started = Date.now();
  try {
    const outcome = work();
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`${name}: ${outcome}${outcome.startsWith("ok") ? "" : ` (${seconds} s)`}`);
  } catch (error) {
    fail(`${name}: ${error.message}`);
  }
}

function ensureVenv() {
  const version = pythonVersion(VENV_PYTHON);
  if (version) return `ok (cached, Python ${version})`;
  const { python, version: hostVersion } = findPython();
  try {
    run(python, ["-m", "venv", "--clear", VENV_DIR]);
  } catch (error) {
    throw new Error(`${error.message}; on Debian/Ubuntu install the python3-venv package`);
  }
  return `created .venv with ${python} (Python ${hostVersion})`;
}

function ensureRequirements() {
  const hash = createHash("sha256").update(fs.readFileSync(REQUIREMENTS)).digest("hex");
  const stamp = `${hash} python ${pythonVersion(VENV_PYTHON)}\n`;
  if (fs.existsSync(STAMP) && fs.readFileSync(STAMP, "utf8") === stamp) return "ok (cached)";
  run(VENV_PYTHON, ["-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", REQUIREMENTS]);
  fs.writeFileSync(STAMP, stamp);
  return "installed requirements.txt";
}

function ensureKernel() {
  if (fs.existsSync(KERNEL_JSON) && JSON.parse(fs.readFileSync(KERNEL_JSON, "utf8")).argv?.[0] === KERNEL_LAUNCHER) {
    return "ok (cached)";
  }
  if (!fs.existsSync(TSLAB)) throw new Error(`${TSLAB} is missing; run \`npm install\` first`);
  run(TSLAB, ["install", "--python", VENV_PYTHON, "--sys-prefix", "--binary", KERNEL_LAUNCHER]);
  const kernels = JSON.parse(run(JUPYTER, ["kernelspec", "list", "--json"])).kernelspecs;
  if (!kernels.tslab) throw new Error(`jupyter does not list the tslab kernel (found: ${Object.keys(kernels)})`);
  return `registered in ${path.relative(ROOT, kernels.tslab.resource_dir)}`;
}

/** Workshop laptops are offline: JupyterLab must not ask to fetch news or check for updates. */
function ensureOfflineSettings() {
  const file = path.join(VENV_DIR, "share", "jupyter", "lab", "settings", "overrides.json");
  const settings = JSON.stringify({ "@jupyterlab/apputils-extension:notification": { fetchNews: "false", checkForUpdates: false } }, null, 2) + "\n";
  if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === settings) return "ok (cached)";
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, settings);
  return "news and update checks off";
}

/** notebooks/lib -> ../lib: tslab only compiles files under the notebook's folder. */
function ensureLibLink() {
  const target = path.join(ROOT, "lib");
  const stat = fs.lstatSync(LIB_LINK, { throwIfNoEntry: false });
  if (stat?.isSymbolicLink() && fs.existsSync(LIB_LINK) && fs.realpathSync(LIB_LINK) === fs.realpathSync(target)) {
    return "ok";
  }
  if (stat?.isDirectory()) throw new Error(`${LIB_LINK} is a real folder; move it away so setup can link ../lib there`);
  if (stat) fs.rmSync(LIB_LINK); // a broken link, or a plain file from a checkout without symlinks
  if (process.platform === "win32") fs.symlinkSync(target, LIB_LINK, "junction");
  else fs.symlinkSync(path.join("..", "lib"), LIB_LINK);
  return "linked notebooks/lib -> ../lib";
}

function ensureStateDirs() {
  for (const dir of Object.values(STATE_DIRS)) fs.mkdirSync(dir, { recursive: true });
  return "ok";
}

function startJupyterLab(extraArgs) {
  const args = ["lab", `--notebook-dir=${NOTEBOOKS_DIR}`, "--ip=127.0.0.1", ...extraArgs];
  if (process.getuid?.() === 0) args.push("--allow-root");
  const lab = spawn(JUPYTER, args, { env, stdio: ["inherit", "inherit", "pipe"] });
  let url, announcement;
  lab.stderr.on("data", (chunk) => {
    process.stderr.write(chunk);
    if (announcement === null) return;
    url ??= String(chunk).match(/http:\/\/127\.0\.0\.1:\d+\/lab\?token=\w+/)?.[0];
    if (!url) return;
    // Announce once Jupyter's own start-up messages pause, so the address is the last thing on screen.
    clearTimeout(announcement);
    announcement = setTimeout(() => {
      announcement = null;
      console.log(`\n  JupyterLab is running. Open this address in your browser:\n\n    ${url}\n\n  Stop it with Ctrl+C.\n`);
    }, 500);
  });
  // Ctrl+C stops JupyterLab at once: SIGTERM shuts it down cleanly without its "Shut down? (y/[n])" prompt.
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => lab.kill("SIGTERM"));
  lab.on("exit", (code) => process.exit(code ?? 1));
}

const [mode, ...labArgs] = process.argv.slice(2);
if (mode !== undefined && mode !== "--start") fail(`unknown option "${mode}"; expected nothing or --start`);
step("python venv", ensureVenv);
step("python packages", ensureRequirements);
step("jupyter state dirs", ensureStateDirs);
step("tslab kernel", ensureKernel);
step("jupyterlab offline settings", ensureOfflineSettings);
step("notebooks/lib link", ensureLibLink);
if (mode === "--start") startJupyterLab(labArgs);
