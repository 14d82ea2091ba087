// `npm start` stops everything it started, JupyterLab and its kernels, however it is told to stop
// (scripts/setup.mjs): SIGTERM or SIGHUP to npm's process, and SIGINT to npm's process group, which is
// what Ctrl+C in a terminal sends. npm runs the script through a shell: Debian's sh (dash) stays between
// npm and the script, macOS's sh (bash) runs the script in its own place, so npm passes SIGINT and SIGTERM
// straight to it; both layouts are checked (npm's script-shell set to bash for the second).
// Each case starts the course's own JupyterLab (on a free port), opens every notebook through its API and
// starts a kernel; the terminal must show no warning. Linux only: reads /proc.
import { ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { NOTEBOOKS_DIR, ROOT } from "../scripts/jupyter-env.mjs";
import { descendants, waitUntil } from "./browser-helpers";

const ANNOUNCED = /Open this address in your browser:\s+(http:\/\/127\.0\.0\.1:(\d+))\/lab\?token=(\w+)/;
const START_TIMEOUT_MS = 180_000; // npm, the set-up checks, JupyterLab and a kernel, on a loaded machine
const STOP_TIMEOUT_MS = 30_000;

const commandLine = (pid: number) => fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();

/** Running: it exists and is not a zombie waiting for its parent to collect it. */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer().once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

interface Course {
  npm: ChildProcess;
  port: number;
  processes: Map<number, string>; // pid -> command line: npm and everything below it, a kernel included
  output: () => string;
}

let started: Course | undefined;

/** `npm start` in its own process group, then a kernel started through JupyterLab's API. */
async function startCourse(scriptShell?: string): Promise<Course> {
  const env = { ...process.env, npm_config_script_shell: scriptShell };
  if (!scriptShell) delete env.npm_config_script_shell;
  const npm = spawn("npm", ["start", "--", "--no-browser", "--ServerApp.port=0"], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  for (const stream of [npm.stdout!, npm.stderr!]) stream.on("data", (chunk) => (output += chunk));
  started = { npm, port: 0, processes: new Map(), output: () => output };
  const announced = await waitUntil(() => ANNOUNCED.test(output) || npm.exitCode !== null, START_TIMEOUT_MS);
  const [, base, port, token] = output.match(ANNOUNCED) ?? [];
  expect(announced && base, `npm start did not announce the address:\n${output}`).toBeTruthy();
  started.port = Number(port);
  const headers = { Authorization: `token ${token}` };
  for (const name of fs.readdirSync(NOTEBOOKS_DIR).filter((n) => n.endsWith(".ipynb"))) {
    expect((await fetch(`${base}/api/contents/${name}`, { headers })).status, `opening ${name}`).toBe(200); // as JupyterLab opens it
  }
  const kernel = await fetch(`${base}/api/kernels`, { method: "POST", headers, body: JSON.stringify({ name: "tslab" }) });
  expect(kernel.status, await kernel.clone().text()).toBe(201);
  const tree = () => [npm.pid!, ...descendants(npm.pid!)];
  const hasKernel = () => tree().some((pid) => running(pid) && commandLine(pid).includes("tslab-kernel.cjs"));
  expect(await waitUntil(hasKernel, START_TIMEOUT_MS), `no kernel process under npm start:\n${output}`).toBe(true);
  for (const pid of tree()) started.processes.set(pid, commandLine(pid));
  return started;
}

afterEach(() => {
  // Whatever a failed case left running, by the process ids it recorded.
  for (const pid of started?.processes.keys() ?? []) if (running(pid)) process.kill(pid, "SIGKILL");
  started = undefined;
});

describe.runIf(process.platform === "linux")("npm start stops JupyterLab and its kernels", () => {
  const cases = [
    { signal: "SIGTERM", to: "npm", scriptShell: undefined },
    { signal: "SIGHUP", to: "npm", scriptShell: undefined },
    { signal: "SIGINT", to: "group", scriptShell: undefined },
    { signal: "SIGINT", to: "npm", scriptShell: "bash" },
    { signal: "SIGTERM", to: "npm", scriptShell: "bash" },
    { signal: "SIGHUP", to: "npm", scriptShell: "bash" },
  ] as const;
  const named = cases.map((c) => ({ ...c, name: `${c.signal} to ${c.to === "npm" ? "npm" : "npm's process group (Ctrl+C)"}, scripts run by ${c.scriptShell ?? "sh"}` }));

  test.each(named)("$name", async ({ signal, to, scriptShell }) => {
    const { npm, port, processes, output } = await startCourse(scriptShell);
    expect([...processes.values()].some((command) => command.includes("setup.mjs --start"))).toBe(true);
    process.kill(to === "npm" ? npm.pid! : -npm.pid!, signal);
    const stopped = await waitUntil(() => [...processes.keys()].every((pid) => !running(pid)), STOP_TIMEOUT_MS);
    const left = [...processes].filter(([pid]) => running(pid)).map(([pid, command]) => `${pid} ${command}`);
    expect(stopped, `still running ${STOP_TIMEOUT_MS / 1000} s after ${signal}:\n${left.join("\n")}\n${output()}`).toBe(true);
    expect(await portFree(port), `port ${port} still in use`).toBe(true);
    // Nothing on the terminal a learner cannot act on: no warnings, errors or failed kernel sends.
    expect(output().split("\n").filter((line) => /^\[[WE] |send failed|Traceback/.test(line))).toEqual([]);
  }, START_TIMEOUT_MS + STOP_TIMEOUT_MS);
});
