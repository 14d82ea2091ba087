// @ts-check
// Errors a learner meets in a notebook, shown plainly. When a cell throws, tslab prints the error with
// console.error(error): Node then shows the line of the compiled file that threw (for lib that is
// notebooks/lib/<name>.js, a file that exists only as .ts), the message, and every stack frame,
// most of them tslab's own and Node's. This prints the message first, then where in lib it was
// thrown (the .ts file and function: the compiled line numbers do not match the .ts lines), and
// only the frames outside tslab and Node. Anything that is not an Error is printed as before.
// scripts/tslab-kernel.cjs requires this file before it starts tslab.
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const FRAME = /^\s*at (?:(.+?) \()?(.+?)(?::\d+:\d+)?\)?$/; // "at fn (file:line:col)" or "at file:line:col"
const HIDDEN_FILES = [/^node:/, /[\\/]node_modules[\\/]tslab[\\/]/];
const CELL_FILE = /^evalmachine\./; // the compiled cell: its line numbers are not the cell's
const LIB_FILE = /[\\/](?:notebooks[\\/])?lib[\\/]([\w-]+)\.js$/; // tslab's compiled name of lib/<name>.ts

/**
 * One stack line -> "    at fn (lib/x.ts)" or "    at fn (relative/file.js:line:col)", or undefined to hide it.
 * @param {string} line
 */
function shownFrame(line) {
  const match = FRAME.exec(line);
  if (!match) return undefined;
  const [, name, file] = match;
  if (HIDDEN_FILES.some((pattern) => pattern.test(file))) return undefined;
  const fn = name ? name.replace(/^(?:Proxy|Object)\./, "") : "";
  if (CELL_FILE.test(file)) return fn ? `    at ${fn} (a notebook cell)` : undefined; // unnamed: tslab's wrapper of the cell
  const lib = LIB_FILE.exec(file);
  const where = lib ? `lib/${lib[1]}.ts` : path.relative(ROOT, file) + line.slice(line.lastIndexOf(file) + file.length).replace(/\)$/, "");
  return fn ? `    at ${fn} (${where})` : `    at ${where}`;
}

/**
 * The text shown for an error a cell threw: message first, then the frames worth reading.
 * @param {Error} error
 */
function describeError(error) {
  const header = `${error.name}: ${error.message}`;
  const frames = String(error.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  return [header, ...frames.map(shownFrame).filter((frame) => frame !== undefined)].join("\n");
}

/** Makes console.error(error) print describeError(error); other calls print as before. */
function installPlainErrors() {
  const printError = console.error;
  console.error = (...args) => {
    if (args.length === 1 && args[0] instanceof Error) printError(describeError(args[0]));
    else printError(...args);
  };
}

module.exports = { describeError, installPlainErrors };
