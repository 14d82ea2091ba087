// The flags of npm run train and npm run bench: one table, parsed by node:util's parseArgs (strict),
// so that a typo stops the run with a message instead of being ignored. The defaults --help prints
// come from lib's configs, the same objects the scripts fall back to.
import { parseArgs } from "node:util";
import { OPERATIONS } from "../lib/data";
import { DEFAULT_CONFIG as MODEL } from "../lib/model";
import { DEFAULT_TRAIN_CONFIG as RECIPE } from "../lib/train";

type Kind = "number" | "whole" | "count" | "string" | "switch"; // whole: 1, 2, ...; count: 0, 1, ...
interface Flag {
  kind: Kind;
  help: string;
  default?: string | number; // printed by --help after the help
}

const FLAGS = {
  ops: { kind: "string", help: "operations to learn, comma-separated", default: OPERATIONS.join(",") },
  steps: { kind: "whole", help: "total steps, where the schedule ends", default: RECIPE.steps },
  "time-budget": { kind: "number", help: "stop after this many seconds of training; without --steps the schedule is fitted to it" },
  seed: { kind: "count", help: "initial weights, held-out split and batch order", default: RECIPE.seed },
  batch: { kind: "whole", help: "sequences per step", default: RECIPE.batchSize },
  shards: { kind: "whole", help: "parts each batch is cut into, their gradients summed in order", default: RECIPE.shards },
  workers: { kind: "count", help: "worker threads computing the gradients; 0 = the main thread", default: "one per core, at most one per shard" },
  lr: { kind: "number", help: "peak learning rate", default: RECIPE.learningRate },
  warmup: { kind: "count", help: "warm-up steps, the learning rate rising to its peak", default: RECIPE.warmupSteps },
  "min-lr": { kind: "number", help: "learning rate at the end of the schedule", default: RECIPE.minLearningRate },
  oversample: { kind: "string", help: "op=count,...: how often every epoch shows each problem of an operation", default: Object.entries(RECIPE.oversample).map(([op, times]) => `${op}=${times}`).join(",") },
  "weight-decay": { kind: "number", help: "AdamW weight decay of the weight matrices", default: RECIPE.weightDecay },
  heads: { kind: "whole", help: "attention heads H", default: MODEL.numHeads },
  layers: { kind: "whole", help: "transformer blocks", default: MODEL.numLayers },
  "d-model": { kind: "whole", help: "model width D", default: MODEL.dModel },
  "attend-to": { kind: "string", help: "past, all or self: the positions each token attends to", default: MODEL.attendTo },
  "no-residual": { kind: "switch", help: "blocks without residual connections" },
  norm: { kind: "string", help: "pre or post: where the layer norms sit", default: MODEL.norm },
  init: { kind: "string", help: "fan-in or gpt-2: weight matrices start at spread 1/√fan-in or at 0.02", default: MODEL.init },
  "eval-every": { kind: "whole", help: "steps between evaluations on the held-out problems" },
  out: { kind: "string", help: "checkpoint file, saved regularly, at the end and on Ctrl-C" },
  resume: { kind: "string", help: "continue the run saved in this checkpoint, with its settings" },
  ctx: { kind: "whole", help: "tokens per sequence T: every batch is padded to this length", default: MODEL.contextLength },
  sweep: { kind: "switch", help: "bench: step time for several worker counts, then for several contexts at two widths" },
  profile: { kind: "switch", help: "bench: also time every kernel (tf.profile) of the forward pass and of a whole step" },
  backend: { kind: "string", help: "wasm or cpu", default: "as lib/fast/backend chooses" },
  json: { kind: "switch", help: "one JSON line per evaluation (train) or configuration (bench)" },
} as const satisfies Record<string, Flag>;

export type FlagName = keyof typeof FLAGS;
type ValueOf<K extends Kind> = K extends "switch" ? boolean : K extends "string" ? string : number;
export type FlagValues<N extends FlagName> = { [F in N]?: ValueOf<(typeof FLAGS)[F]["kind"]> };

/** A mistake in how the script was called: reported as "error: ..." with exit code 2, no stack. */
export class UsageError extends Error {}

/** What a script's flag means there, where that differs from the table (npm run bench's --steps). */
export type OwnHelp<N extends FlagName> = { [F in N]?: Pick<Flag, "help" | "default"> };

/**
 * The flags `names` from argv (process.argv.slice(2)), checked; --help prints `usage` and them
 * (with `own`'s help where given), then exits.
 */
export function parseFlags<N extends FlagName>(argv: readonly string[], names: readonly N[], usage: string, own: OwnHelp<N> = {}): FlagValues<N> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(`${usage}\n\n${helpLines(names, own).join("\n")}`);
    process.exit(0);
  }
  const options = Object.fromEntries(names.map((n) => [n, { type: FLAGS[n].kind === "switch" ? "boolean" : "string" }] as const));
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    const known = `Known flags: ${names.map((n) => `--${n}`).join(", ")}.`;
    const unknown = /^Unknown option '(.*?)'/.exec((e as Error).message);
    throw new UsageError(unknown ? `unknown flag ${unknown[1]}. ${known}` : `${(e as Error).message.split("\n")[0]} ${known}`);
  }
  const out: Record<string, string | number | boolean> = {};
  for (const [name, raw] of Object.entries(values)) {
    if (raw === undefined) continue;
    const kind: Kind = FLAGS[name as N].kind;
    out[name] = kind === "switch" || kind === "string" ? raw : toNumber(name, raw as string, kind);
  }
  return out as FlagValues<N>;
}

/** "  --batch <whole>   sequences per step (default <value>)": one line per flag. */
function helpLines<N extends FlagName>(names: readonly N[], own: OwnHelp<N>): string[] {
  const syntax = names.map((n) => `--${n}${FLAGS[n].kind === "switch" ? "" : ` <${FLAGS[n].kind}>`}`);
  const width = Math.max(...syntax.map((s) => s.length));
  return names.map((n, i) => {
    const { help, default: fallback }: Pick<Flag, "help" | "default"> = own[n] ?? FLAGS[n];
    return `  ${syntax[i].padEnd(width)}  ${help}${fallback === undefined ? "" : ` (default ${fallback})`}`;
  });
}

function toNumber(name: string, raw: string, kind: Kind): number {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value)) throw new UsageError(`--${name} expects a number, got "${raw}".`);
  const min = kind === "whole" ? 1 : 0;
  if (kind !== "number" && (!Number.isInteger(value) || value < min)) throw new UsageError(`--${name} must be a whole number >= ${min}, got ${value}.`);
  return value;
}

/** Runs the script's main function; usage errors and failures end the process with a one-line message. */
export function runMain(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    console.error(`error: ${e instanceof Error ? e.message : e}${e instanceof UsageError ? " (see --help)" : ""}`);
    process.exit(e instanceof UsageError ? 2 : 1);
  });
}
