// What a call costs, as notebook 8 measures attention: its time, and how to print times and sizes.
// The clock is the processor time of this process: other programs on the machine do not count, but
// this process's own helper threads do, and in a fresh kernel they are busy compiling tfjs's code
// (JavaScript and WebAssembly) into faster versions while the first calls run. So the first calls
// are slow and noisy whatever their size: warmUp() runs a call until its time stops falling, and
// timeCall() keeps the fastest of several samples, each long enough for the clock to read (whatever
// disturbs a sample, such as that other work, only ever adds time).
import type { Tensor } from "@tensorflow/tfjs";

/** Processor time used by this process so far, in ms (all its threads). */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage(); // microseconds
  return (user + system) / 1000;
}

export interface TimingOptions {
  samples?: number; // timed samples, of which the fastest is kept (default 5)
  sampleMs?: number; // a sample repeats the call until it lasts about this long (default 25)
  warmUpMs?: number; // untimed calls first, for about this long and at least one call (default 50)
  clock?: () => number; // ms (default cpuMs)
}

export interface Timing {
  ms: number; // time per call in the fastest sample
  spread: number; // (slowest sample - fastest) / fastest
  samples: number[]; // ms per call, sorted
}

/** Average ms per call of `run` over `calls` calls in a row, each result waited for and freed. */
async function msPerCall(run: () => Tensor, calls: number, clock: () => number): Promise<number> {
  const start = clock();
  for (let i = 0; i < calls; i++) {
    const result = run();
    await result.data(); // the numbers exist now
    result.dispose();
  }
  return (clock() - start) / calls;
}

/** Calls `run` back to back for about `ms` (at least once); returns the ms per call. */
async function runFor(run: () => Tensor, ms: number, clock: () => number): Promise<number> {
  let calls = 0;
  const start = clock();
  do {
    await msPerCall(run, 1, clock);
    calls++;
  } while (clock() - start < ms);
  return (clock() - start) / calls;
}

function checkPositive(name: string, value: number, whole = false): void {
  if (!(value > 0) || (whole && !Number.isInteger(value))) throw new Error(`${name} must be ${whole ? "a whole number " : ""}above 0, got ${value}.`);
}

/** ms per call of `run` (its result waited for and freed): the fastest of `samples` timed samples, after an untimed warm-up. */
export async function timeCall(run: () => Tensor, options: TimingOptions = {}): Promise<Timing> {
  const { samples = 5, sampleMs = 25, warmUpMs = 50, clock = cpuMs } = options;
  checkPositive("samples", samples, true);
  checkPositive("sampleMs", sampleMs);
  checkPositive("warmUpMs", warmUpMs);
  const perCall = await runFor(run, warmUpMs, clock);
  const callsPerSample = Math.max(1, Math.ceil(sampleMs / Math.max(perCall, 1e-3)));
  const times: number[] = [];
  for (let i = 0; i < samples; i++) times.push(await msPerCall(run, callsPerSample, clock));
  times.sort((a, b) => a - b);
  return { ms: times[0], spread: (times[times.length - 1] - times[0]) / times[0], samples: times };
}

/**
 * Runs `run` in blocks of about `blockMs` until its time per call stops falling: `patience` blocks
 * in a row none 5% faster than the fastest before them (the compiled code arrives in stages, with
 * plateaus between), or for at most `maxMs`. Returns each block's ms per call.
 */
export async function warmUp(run: () => Tensor, { blockMs = 50, patience = 5, maxMs = 5000, clock = cpuMs } = {}): Promise<number[]> {
  checkPositive("blockMs", blockMs);
  checkPositive("patience", patience, true);
  checkPositive("maxMs", maxMs);
  const start = clock();
  const blocks: number[] = [];
  let best = Infinity;
  let sinceBest = 0;
  while (sinceBest < patience && clock() - start < maxMs) {
    const perCall = await runFor(run, blockMs, clock);
    blocks.push(perCall);
    if (perCall < 0.95 * best) [best, sinceBest] = [perCall, 0];
    else sinceBest++;
  }
  return blocks;
}

/** 1536 -> "1.5 KiB": bytes in binary units, 3 significant digits. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  for (; bytes >= 1024 && i < units.length - 1; i++) bytes /= 1024;
  return `${Number(bytes.toPrecision(3))} ${units[i]}`;
}

/** 1500 -> "1.5 s", 5400000 -> "1.5 hours": a duration in the largest unit that keeps it at least 1, 2 significant digits. */
export function formatDuration(ms: number): string {
  const units: [string, number][] = [["years", 365 * 24 * 3600e3], ["days", 24 * 3600e3], ["hours", 3600e3], ["minutes", 60e3], ["s", 1e3], ["ms", 1]];
  const [name, size] = units.find(([, size]) => ms >= size) ?? units[units.length - 1];
  return `${Number((ms / size).toPrecision(2)).toLocaleString("en-US")} ${name}`;
}
