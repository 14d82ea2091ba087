// Sets up the Python/Jupyter side of the course; safe to run again (finished steps are skipped).
// Plain Node with no packages, so it runs before `npm install`, on Linux, macOS and Windows.
//   node scripts/setup.mjs               venv + requirements, the TypeScript kernel, notebooks/lib link
//   node scripts/setup.mjs --bundle DIR  the same with no network: npm packages and wheels from `npm run bundle`
//   node scripts/setup.mjs --start       the same, then JupyterLab on notebooks/ (extra args go to jupyter lab)
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { hasOutputs } from "./clean-notebooks.mjs";
import { JUPYTER, KERNEL_LAUNCHER, NOTEBOOKS_DIR, ROOT, STATE_DIRS, VENV_DIR, VENV_PYTHON, jupyterEnv, kernelSpec, libLink, pythonCandidates } from "./jupyter-env.mjs";
import { whenParentGone } from "./parent-watch.cjs";

const MIN_PYTHON = [3, 10]; // requirements.txt pins need it (jupyterlab 4.6 requires >= 3.10)
const REQUIREMENTS = path.join(ROOT, "requirements.txt");
const STAMP = path.join(VENV_DIR, "requirements.stamp");
const KERNELS_DIR = path.join(VENV_DIR, "share", "jupyter", "kernels");
const LIB_LINK = path.join(NOTEBOOKS_DIR, "lib");
const NOTARY_DB = path.join(STATE_DIRS.JUPYTER_DATA_DIR, "nbsignatures.db"); // Jupyter's record of signed notebooks
const SIGNED = path.join(STATE_DIRS.JUPYTER_DATA_DIR, "signed-notebooks.json"); // hashes of the ones signed below
const STOP_GRACE_MS = 15_000; // JupyterLab shuts its kernels down first; after this it is killed
const windows = process.platform === "win32";
const env = jupyterEnv();

function fail(message) {
  console.error(`setup: ${message}`);
  process.exit(1);
}

/** Runs a command to completion with the Jupyter environment; returns stdout, fails setup on error. */
function run(command, args, { quiet = false, warnings = false } = {}) {
  // Windows starts npm.cmd only through a shell (Node >= 20.12 refuses .cmd files without one).
  const result = spawnSync(command, args, { cwd: ROOT, env, encoding: "utf8", shell: windows && command === "npm", stdio: ["ignore", "pipe", "pipe"] });
  if (result.status === 0 && warnings) process.stderr.write(result.stderr);
  if (result.status === 0) return result.stdout;
  if (!quiet) process.stderr.write(`${result.stdout ?? ""}${result.stderr ?? ""}`);
  throw new Error(`${command} ${args.join(" ")} failed (${result.error?.message ?? `exit ${result.status}`})`);
}

/** "3.11.7", or undefined when `python` does not start. */
function pythonVersion(python) {
  const result = spawnSync(python, ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"], { env, encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** The first candidate that is new enough: macOS's own python3 is 3.9, so a newer `python` may follow it. */
function findPython() {
  const tried = [];
  for (const python of pythonCandidates()) {
    const version = pythonVersion(python);
    tried.push(`${python} (${version ? `Python ${version}` : "not found"})`);
    const [major, minor] = (version ?? "0.0").split(".").map(Number);
    if (major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1])) return { python, version };
  }
  fail(`the course needs Python >= ${MIN_PYTHON.join(".")}; tried ${tried.join(", ")}. Install one, or set $PYTHON to its path.`);
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

/**
 * From a bundle: package-lock.json's packages out of the bundle's npm cache, no network. `npm install`,
 * not `npm ci`: vite 8.4 names an optional package the registry does not have, which `npm ci` rejects.
 */
function installNpmPackages(bundle) {
  run("npm", ["install", "--offline", "--cache", path.join(bundle, "npm-cache"), "--no-audit", "--no-fund"], { warnings: true });
  return `installed from ${bundle}`;
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

function ensureRequirements(bundle) {
  const hash = createHash("sha256").update(fs.readFileSync(REQUIREMENTS)).digest("hex");
  const stamp = `${hash} python ${pythonVersion(VENV_PYTHON)}\n`;
  if (fs.existsSync(STAMP) && fs.readFileSync(STAMP, "utf8") === stamp) return "ok (cached)";
  const source = bundle ? ["--no-index", "--find-links", path.join(bundle, "wheels")] : [];
  run(VENV_PYTHON, ["-m", "pip", "install", "--disable-pip-version-check", "-q", ...source, "-r", REQUIREMENTS]);
  fs.writeFileSync(STAMP, stamp);
  return `installed requirements.txt${bundle ? " from the bundle's wheels" : ""}`;
}

/** Writes the files (path -> text) whose text differs from what is on disk; returns how many it wrote. */
function writeChanged(files) {
  const changed = Object.entries(files).filter(([file, text]) => !fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text);
  for (const [file, text] of changed) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  return changed.length;
}

/**
 * Registers only the TypeScript kernel, in the venv: node and the launcher by absolute path
 * (VS Code and macOS apps start kernels without the shell's PATH), and a Jupyter config that
 * hides the Python kernel ipykernel brings along, so JupyterLab's launcher offers TypeScript alone.
 */
function ensureKernel() {
  if (!fs.existsSync(path.join(ROOT, "node_modules", "tslab"))) throw new Error("node_modules/tslab is missing; run `npm install` first");
  const written = writeChanged({
    [path.join(KERNELS_DIR, "tslab", "kernel.json")]: JSON.stringify(kernelSpec(process.execPath, KERNEL_LAUNCHER), null, 1),
    [path.join(VENV_DIR, "etc", "jupyter", "jupyter_config.json")]: JSON.stringify({ KernelSpecManager: { allowed_kernelspecs: ["tslab"], ensure_native_kernel: false } }, null, 1),
  });
  if (!written) return "ok (cached)";
  const kernels = Object.keys(JSON.parse(run(JUPYTER, ["kernelspec", "list", "--json"])).kernelspecs);
  if (kernels.join() !== "tslab") throw new Error(`jupyter lists the kernels ${kernels.join(", ")}; expected tslab alone`);
  return `registered TypeScript (node ${process.version}) in ${path.relative(ROOT, KERNELS_DIR)}`;
}

/**
 * Workshop laptops are offline: JupyterLab must not ask to fetch news or check for updates. The server
 * prints nothing a learner cannot act on: no websocket pings (jupyter_server sets their interval and
 * timeout in milliseconds, 30,000 and 90,000; tornado reads the same two numbers as seconds and warns that
 * the timeout exceeds the interval, and equal values would drop a connection whenever a ping is a little
 * late; on one's own machine no proxy needs them and the browser reconnects by itself), and no search
 * for language servers (none is installed; it listed the 19 it did not find after the address).
 */
function ensureJupyterSettings() {
  const lab = { "@jupyterlab/apputils-extension:notification": { fetchNews: "false", checkForUpdates: false } };
  const server = { ServerApp: { tornado_settings: { ws_ping_interval: 0 } }, LanguageServerManager: { autodetect: false } };
  const written = writeChanged({
    [path.join(VENV_DIR, "share", "jupyter", "lab", "settings", "overrides.json")]: JSON.stringify(lab, null, 2) + "\n",
    [path.join(VENV_DIR, "etc", "jupyter", "jupyter_server_config.json")]: JSON.stringify(server, null, 1),
  });
  return written ? "news and update checks off, no websocket pings or language server search" : "ok (cached)";
}

/**
 * Signs the notebooks in notebooks/ that have no outputs (the course as committed), so the server does not
 * log "Notebook ... is not trusted" for each one opened. Trust only lets a notebook's saved outputs run
 * scripts, and these have none; JupyterLab signs what the learner runs and saves itself.
 */
function ensureSignedNotebooks() {
  const signed = new Set(fs.existsSync(SIGNED) && fs.existsSync(NOTARY_DB) ? JSON.parse(fs.readFileSync(SIGNED, "utf8")) : []);
  const unsigned = [];
  for (const name of fs.readdirSync(NOTEBOOKS_DIR).filter((n) => n.endsWith(".ipynb"))) {
    const file = path.join(NOTEBOOKS_DIR, name);
    const text = fs.readFileSync(file, "utf8");
    const hash = createHash("sha256").update(text).digest("hex");
    if (!signed.has(hash) && !hasOutputs(JSON.parse(text))) unsigned.push({ file, hash });
  }
  if (!unsigned.length) return "ok (cached)";
  run(JUPYTER, ["trust", ...unsigned.map(({ file }) => file)]);
  fs.writeFileSync(SIGNED, JSON.stringify([...signed, ...unsigned.map(({ hash }) => hash)]));
  return `signed ${unsigned.length} notebook(s) without outputs`;
}

/**
 * notebooks/lib -> ../lib: tslab only compiles files under the notebook's folder. Git checks the
 * link out as a symlink, or as a small text file where symlinks are off (Windows); setup then makes
 * the link itself and tells git to leave that path alone, so `git status` stays clean.
 */
function ensureLibLink() {
  const stat = fs.lstatSync(LIB_LINK, { throwIfNoEntry: false });
  if (stat?.isSymbolicLink() && fs.existsSync(LIB_LINK) && fs.realpathSync(LIB_LINK) === fs.realpathSync(path.join(ROOT, "lib"))) {
    return "ok";
  }
  if (stat?.isDirectory()) throw new Error(`${LIB_LINK} is a real folder; move it away so setup can link ../lib there`);
  if (stat) fs.rmSync(LIB_LINK);
  const { target, type } = libLink(ROOT);
  fs.symlinkSync(target, LIB_LINK, type);
  try {
    run("git", ["update-index", "--skip-worktree", "notebooks/lib"], { quiet: true });
  } catch {
    // not a git checkout (a zip or a copied folder): nothing to keep clean
  }
  return `linked notebooks/lib -> ${target} (${type})`;
}

function ensureStateDirs() {
  for (const dir of Object.values(STATE_DIRS)) fs.mkdirSync(dir, { recursive: true });
  return "ok";
}

/**
 * The processes to watch besides the parent: npm runs `npm start` through a shell on Linux (npm -> sh ->
 * this script), passes SIGTERM on to that shell only, which then ends without passing it on, and passes
 * SIGHUP on to nobody. So when the parent is a shell, the npm above it is watched too. (macOS's sh runs
 * this script in its own place, so npm is the parent; Windows is left to its console events.)
 */
function packageManagerAboveShell() {
  if (!process.env.npm_lifecycle_event || windows) return [];
  const ps = spawnSync("ps", ["-o", "ppid=,comm=", "-p", String(process.ppid)], { encoding: "utf8" });
  const [, ppid, command] = /^\s*(\d+)\s+(.+?)\s*$/.exec(ps.stdout ?? "") ?? [];
  return command && /^-?(sh|dash|bash|zsh|ksh|mksh)$/.test(path.basename(command)) ? [Number(ppid)] : [];
}

function startJupyterLab(extraArgs) {
  const args = ["lab", `--notebook-dir=${NOTEBOOKS_DIR}`, "--ip=127.0.0.1", ...extraArgs];
  if (process.getuid?.() === 0) args.push("--allow-root");
  // On Linux and macOS JupyterLab gets its own process group: the terminal's Ctrl+C then reaches this
  // script alone (JupyterLab itself would ask "Shut down? (y/[n])"), and a stuck JupyterLab is killed whole.
  const lab = spawn(JUPYTER, args, { env, detached: !windows, stdio: ["ignore", "pipe", "pipe"] });
  lab.stdout.pipe(process.stdout);
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

  // After SIGHUP the terminal may be gone: writing to it must not end this script before JupyterLab.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
  const kill = () => {
    if (windows) spawnSync("taskkill", ["/pid", String(lab.pid), "/t", "/f"]);
    else process.kill(-lab.pid, "SIGKILL");
  };
  let stopping = false;
  /** Asks JupyterLab to shut down (it stops its kernels first): through its API once it is up, else by SIGTERM. */
  async function stop() {
    if (stopping) return;
    stopping = true;
    setTimeout(kill, STOP_GRACE_MS).unref();
    const token = url?.split("token=")[1];
    const shutdown = token && (await fetch(new URL("/api/shutdown", url), { method: "POST", headers: { Authorization: `token ${token}` } }).catch(() => undefined));
    if (!shutdown?.ok) lab.kill("SIGTERM");
  }
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP", ...(windows ? ["SIGBREAK"] : [])]) process.on(signal, stop);
  whenParentGone(stop, packageManagerAboveShell());
  lab.on("exit", (code) => process.exit(code ?? 1));
}

const [mode, ...rest] = process.argv.slice(2);
if (mode !== undefined && mode !== "--start" && mode !== "--bundle") fail(`unknown option "${mode}"; expected nothing, --start or --bundle DIR`);
const bundle = mode === "--bundle" ? path.resolve(rest[0] ?? fail("--bundle needs the folder `npm run bundle -- --out DIR` wrote")) : undefined;
if (bundle && !fs.existsSync(path.join(bundle, "wheels"))) fail(`${bundle} is not a bundle (no wheels/ folder); make one with \`npm run bundle -- --out DIR\``);
if (bundle) step("npm packages", () => installNpmPackages(bundle));
step("python venv", ensureVenv);
step("python packages", () => ensureRequirements(bundle));
step("jupyter state dirs", ensureStateDirs);
step("typescript kernel", ensureKernel);
step("jupyter settings", ensureJupyterSettings);
step("notebooks/lib link", ensureLibLink);
step("notebook signatures", ensureSignedNotebooks);
if (mode === "--start") startJupyterLab(rest);
