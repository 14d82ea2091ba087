// Processes for the browser tests: a private JupyterLab server and a headless Chromium (Debian's,
// never installed here) whose state stays inside a given folder and that cannot reach beyond this machine.
// Everything started here runs in its own process group and is stopped by its process ids.
import { ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { BrowserContext, chromium } from "playwright-core";
import { JUPYTER, jupyterEnv } from "../scripts/jupyter-env.mjs";

export const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-crash-reporter",
  "--no-first-run",
  // Nothing beyond this machine: no name is resolved and every request that is not to loopback (which
  // Chromium never proxies) goes to a proxy on a closed local port, so it fails at once.
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
  "--proxy-server=127.0.0.1:9",
];

const isRoot = process.getuid?.() === 0;

/** Throws a message saying what to install when Debian's Chromium is missing; tests never install system packages. */
export function requireChromium(): void {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Chromium (Debian/Ubuntu: apt-get install chromium) to run the browser tests`);
  }
}

/** Pids of every live descendant of `pid` (Linux /proc; empty elsewhere). */
export function descendants(pid: number): number[] {
  if (!fs.existsSync("/proc")) return [];
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]); // fields after "(comm)": state ppid ...
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const found: number[] = [];
  const visit = (p: number): void => {
    for (const child of children.get(p) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(pid);
  return found;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

export async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}

/**
 * Stops a process started with `detached: true` (its own process group) and everything it started,
 * including children in other sessions (Jupyter starts kernels with a new session): SIGTERM first,
 * SIGKILL for whatever is left after `graceMs`.
 */
export async function stopProcessTree(child: ChildProcess, graceMs = 10_000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const tree = [pid, ...descendants(pid)];
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once("exit", r));
  signal(-pid, "SIGTERM");
  await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
  await waitUntil(() => tree.every((p) => !alive(p)), 2_000);
  signal(-pid, "SIGKILL");
  for (const p of [...tree, ...descendants(pid)]) signal(p, "SIGKILL");
}

/** SIGKILL for a detached process, its group and its descendants, at once (safe in a process "exit" handler). */
function killTreeNow(pid: number): void {
  const tree = [pid, ...descendants(pid)];
  signal(-pid, "SIGKILL");
  for (const p of tree) signal(p, "SIGKILL");
}

export interface JupyterLab {
  url: string; // http://127.0.0.1:<port>
  token: string;
  process: ChildProcess;
  log: () => string; // everything the server printed so far
  /** Deletes every kernel session (so kernels exit cleanly), then stops the server and its children. */
  stop(): Promise<void>;
}

/**
 * Starts JupyterLab on `rootDir` with the project's Jupyter environment, but with workspaces and user
 * settings in `stateDir` (a learner's own layout or settings cannot change what the test sees).
 */
export async function startJupyterLab(rootDir: string, stateDir: string, timeoutMs = 120_000): Promise<JupyterLab> {
  const token = randomBytes(24).toString("hex");
  fs.mkdirSync(path.join(stateDir, "workspaces"), { recursive: true });
  // No "get Jupyter news?" pop-up over the notebook, and no requests to the internet for news or updates.
  const notificationSettings = path.join(stateDir, "settings", "@jupyterlab", "apputils-extension", "notification.jupyterlab-settings");
  fs.mkdirSync(path.dirname(notificationSettings), { recursive: true });
  fs.writeFileSync(notificationSettings, JSON.stringify({ fetchNews: "false", checkForUpdates: false }));
  const args = [
    "lab",
    "--no-browser",
    "--ServerApp.ip=127.0.0.1",
    "--ServerApp.port=0", // the operating system picks a free port; the server prints it
    `--ServerApp.root_dir=${rootDir}`,
    `--IdentityProvider.token=${token}`,
    `--LabApp.workspaces_dir=${path.join(stateDir, "workspaces")}`,
    `--LabApp.user_settings_dir=${path.join(stateDir, "settings")}`,
    "--ServerApp.terminals_enabled=False",
    "--LabApp.extension_manager=readonly", // the default manager asks PyPI for the latest versions of extensions
    ...(isRoot ? ["--allow-root"] : []),
  ];
  const lab = spawn(JUPYTER, args, { cwd: rootDir, env: jupyterEnv(), detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`JupyterLab did not start within ${timeoutMs / 1000} s:\n${output}`)), timeoutMs);
    const read = (chunk: Buffer) => {
      output += chunk;
      const match = output.match(/http:\/\/127\.0\.0\.1:(\d+)\/lab\?token=/);
      if (match) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${match[1]}`);
      }
    };
    lab.stdout!.on("data", read);
    lab.stderr!.on("data", read);
    lab.on("error", (error) => (clearTimeout(timer), reject(error)));
    lab.on("exit", (code) => (clearTimeout(timer), reject(new Error(`JupyterLab exited (${code}) before it was ready:\n${output}`))));
  }).catch(async (error) => {
    await stopProcessTree(lab, 2_000);
    throw error;
  });
  lab.removeAllListeners("exit");
  // JupyterLab has its own process group, so it would outlive a test run that ends abruptly: kill it on exit.
  const killOnExit = () => killTreeNow(lab.pid!);
  process.on("exit", killOnExit);
  return {
    url,
    token,
    process: lab,
    log: () => output,
    async stop() {
      try {
        const headers = { Authorization: `token ${token}` };
        const sessions = (await (await fetch(`${url}/api/sessions`, { headers })).json()) as { id: string }[];
        await Promise.all(sessions.map((s) => fetch(`${url}/api/sessions/${s.id}`, { method: "DELETE", headers })));
      } catch {
        // the server is already gone; stopProcessTree still cleans up
      }
      await stopProcessTree(lab);
      process.off("exit", killOnExit);
    },
  };
}

/** Debian's Chromium, headless, with its profile, caches and home inside `stateDir` (nothing under the real $HOME). */
export async function launchChromium(stateDir: string): Promise<BrowserContext> {
  requireChromium();
  const home = path.join(stateDir, "home");
  fs.mkdirSync(home, { recursive: true });
  return chromium.launchPersistentContext(path.join(stateDir, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 1000 },
    // Chromium writes crash reports and caches under $HOME and the XDG folders, not under the profile.
    env: {
      ...process.env,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, ".config"),
      XDG_CACHE_HOME: path.join(home, ".cache"),
      XDG_DATA_HOME: path.join(home, ".local", "share"),
    },
    timeout: 120_000,
  });
}
