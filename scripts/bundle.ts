// Writes everything a laptop needs to install the course with no network, for a workshop room:
//   npm run bundle -- --out DIR        then, on each laptop: node scripts/setup.mjs --bundle DIR
// DIR/npm-cache: an npm cache holding every package of package-lock.json, for every platform
// (esbuild, rolldown and lightningcss ship one binary package per platform). DIR/wheels: the Python
// wheels of requirements.txt for each platform and Python version below. pip resolves environment
// markers (numpy's python_version, Windows-only packages) for the machine it runs on, so uv
// resolves the list for each target first and pip downloads exactly that list, four targets at a time.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import { ROOT, VENV_PYTHON, jupyterEnv } from "./jupyter-env.mjs";

export const PYTHON_VERSIONS = ["3.10", "3.11", "3.12", "3.13", "3.14"];
/** pip's tags for a Linux with glibc 2.28 (pip widens macOS tags to older versions itself, not these). */
const MANYLINUX = [...Array.from({ length: 12 }, (_, i) => `manylinux_2_${28 - i}_x86_64`), "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"];
/** [uv's platform, pip's platform tags]: Linux with glibc >= 2.28, macOS >= 11, 64-bit Windows. */
export const PLATFORMS: [string, string[]][] = [
  ["x86_64-manylinux_2_28", MANYLINUX],
  ["aarch64-apple-darwin", ["macosx_11_0_arm64"]],
  ["x86_64-apple-darwin", ["macosx_11_0_x86_64"]],
  ["x86_64-pc-windows-msvc", ["win_amd64"]],
];
const UV_VERSION = "0.13.9";
const env = jupyterEnv();

interface NpmPlatform {
  os: string;
  cpu: string;
  libc?: string;
}
interface LockEntry {
  name?: string;
  version?: string;
  link?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

/** The laptops the bundle is for, as npm's package.json `os`, `cpu` and `libc` fields name them. */
export const NPM_PLATFORMS: NpmPlatform[] = [
  { os: "linux", cpu: "x64", libc: "glibc" },
  { os: "darwin", cpu: "arm64" },
  { os: "darwin", cpu: "x64" },
  { os: "win32", cpu: "x64" },
];

/** A package-lock.json entry installs on `platform` unless its os/cpu/libc lists leave it out. */
function installsOn(entry: LockEntry, platform: NpmPlatform): boolean {
  return (["os", "cpu", "libc"] as const).every((field) => !entry[field] || !platform[field] || entry[field]!.includes(platform[field]!));
}

/** name@version of each package in package-lock.json that one of `platforms` installs (npm 11 writes no tarball URLs there). */
export function lockedPackages(lock: { packages: Record<string, LockEntry> }, platforms: NpmPlatform[] = NPM_PLATFORMS): string[] {
  return Object.entries(lock.packages)
    .filter(([key, entry]) => key !== "" && !entry.link && platforms.some((platform) => installsOn(entry, platform)))
    .map(([key, entry]) => `${entry.name ?? key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length)}@${entry.version}`);
}

const execFileAsync = promisify(execFile);
/** Runs a command in the Jupyter environment (npm through a shell on Windows, as Node >= 20.12 requires); rejects with its stderr. */
const run = (command: string, args: string[]) =>
  execFileAsync(command, args, { cwd: ROOT, env, encoding: "utf8", shell: process.platform === "win32" && command === "npm", maxBuffer: 1 << 26 });

/** The bundle's targets: every laptop, or (--host-only, for the test) only this machine's platform and Python. */
export function targetsFor(hostOnly: boolean, host = { platform: process.platform, arch: process.arch }, hostPython = "3.11") {
  if (!hostOnly) return { npm: NPM_PLATFORMS, wheels: PLATFORMS, pythons: PYTHON_VERSIONS };
  const index = NPM_PLATFORMS.findIndex((p) => p.os === host.platform && p.cpu === host.arch);
  if (index < 0) throw new Error(`--host-only: this machine (${host.platform} ${host.arch}) is none of the bundle's platforms; leave the flag out.`);
  return { npm: [NPM_PLATFORMS[index]], wheels: [PLATFORMS[index]], pythons: [hostPython] };
}
type Targets = ReturnType<typeof targetsFor>;

async function npmCache(out: string, targets: Targets): Promise<number> {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8"));
  const specs = lockedPackages(lock, targets.npm);
  await run("npm", ["cache", "add", "--prefer-offline", "--cache", path.join(out, "npm-cache"), ...specs]);
  return specs.length;
}

async function wheels(out: string, scratch: string, { wheels: platforms, pythons }: Targets): Promise<number> {
  const uvDir = path.join(scratch, "uv");
  await run(VENV_PYTHON, ["-m", "pip", "install", "-q", "--target", uvDir, `uv==${UV_VERSION}`]);
  const uv = path.join(uvDir, "bin", process.platform === "win32" ? "uv.exe" : "uv");
  const dest = path.join(out, "wheels");
  const targets = platforms.flatMap(([uvPlatform, pipTags]) => pythons.map((version) => ({ uvPlatform, pipTags, version })));
  const download = async ({ uvPlatform, pipTags, version }: (typeof targets)[number]) => {
    const pinned = path.join(scratch, `requirements-${uvPlatform}-${version}.txt`);
    await run(uv, ["pip", "compile", "-q", "--no-header", "--no-annotate", "--only-binary", ":all:", "--python-version", version,
      "--python-platform", uvPlatform, "-o", pinned, "requirements.txt"]);
    await run(VENV_PYTHON, ["-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", ...pipTags.flatMap((tag) => ["--platform", tag]),
      "--python-version", version, "--implementation", "cp", "--dest", dest, "-r", pinned]);
  };
  for (let i = 0; i < targets.length; i += 4) await Promise.all(targets.slice(i, i + 4).map(download));
  return targets.length;
}

function size(dir: string): string {
  const bytes = fs.readdirSync(dir, { recursive: true, withFileTypes: true }).reduce((sum, entry) => sum + (entry.isFile() ? fs.statSync(path.join(entry.parentPath, entry.name)).size : 0), 0);
  return `${(bytes / 1e6).toFixed(0)} MB`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: "string" }, "host-only": { type: "boolean" } }, strict: true });
  if (!values.out) {
    console.error("usage: npm run bundle -- --out DIR [--host-only]");
    process.exit(2);
  }
  const out = path.resolve(values.out);
  const hostPython = (await run(VENV_PYTHON, ["-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"])).stdout.trim();
  const targets = targetsFor(values["host-only"] ?? false, undefined, hostPython);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-"));
  try {
    console.log(`npm packages: ${await npmCache(out, targets)} (${size(path.join(out, "npm-cache"))})`);
    console.log(`python wheels: ${await wheels(out, scratch, targets)} platform x version targets (${size(path.join(out, "wheels"))})`);
    console.log(`\nOn each laptop, in a copy of this folder: node scripts/setup.mjs --bundle ${out}, then npm start`);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === __filename) void main();
