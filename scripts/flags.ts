// Command-line flags for the scripts: "--name value", "--name=value" and bare "--switch", checked
// against a list of known flags so that a typo stops the run with a message instead of being ignored.

export type FlagKind = "number" | "string" | "switch";

export type FlagSpec = Record<string, { kind: FlagKind; help: string }>;

export type FlagValues<S extends FlagSpec> = {
  [K in keyof S]?: S[K]["kind"] extends "number" ? number : S[K]["kind"] extends "switch" ? boolean : string;
};

/** A mistake in how the script was called: reported as "error: ..." with exit code 2, no stack. */
export class UsageError extends Error {}

/** The flags in `argv` (process.argv.slice(2)); --help prints `usage` and the flag list, then exits. */
export function parseFlags<S extends FlagSpec>(argv: readonly string[], spec: S, usage: string): FlagValues<S> {
  const values: Record<string, number | string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      console.log(helpText(spec, usage));
      process.exit(0);
    }
    if (!arg.startsWith("--")) throw new UsageError(`unexpected argument "${arg}"; flags start with --. ${flagList(spec)}`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    const flag = spec[name];
    if (!flag) throw new UsageError(`unknown flag --${name}. ${flagList(spec)}`);
    if (flag.kind === "switch") {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value, got "${inline}".`);
      values[name] = true;
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined || (inline === undefined && raw.startsWith("--"))) throw new UsageError(`--${name} needs a value (${flag.help}).`);
    if (flag.kind === "number") {
      const number = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(number)) throw new UsageError(`--${name} expects a number, got "${raw}".`);
      values[name] = number;
    } else {
      values[name] = raw;
    }
  }
  return values as FlagValues<S>;
}

/** `value` checked to be a whole number >= `min`; `name` is the flag it came from. */
export function wholeNumber(name: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be a whole number >= ${min}, got ${value}.`);
  return value;
}

/** Runs the script's main function; usage errors and failures end the process with a one-line message. */
export function runMain(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message} (see --help)`);
      process.exit(2);
    }
    console.error(e instanceof Error ? `error: ${e.message}` : e);
    process.exit(1);
  });
}

function flagList(spec: FlagSpec): string {
  return `Known flags: ${Object.keys(spec).map((name) => `--${name}`).join(", ")}.`;
}

function helpText(spec: FlagSpec, usage: string): string {
  const flags = Object.entries(spec).map(([name, { kind, help }]) => [`--${name}${kind === "switch" ? "" : ` <${kind}>`}`, help]);
  const width = Math.max(...flags.map(([flag]) => flag.length));
  return `${usage}\n\n${flags.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`).join("\n")}`;
}
