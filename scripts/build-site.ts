// The course as a static web site in site/: a page per notebook with one run's outputs, an index, prev/next
// links. scripts/run_notebook.py executes (it fails on stderr, which `nbconvert --execute` lets through);
// `jupyter nbconvert --to html` with scripts/site-template/ writes the pages, which need no network:
// plotly.js is inlined once in each page with a figure, and the diagrams are copied next to them.
//
//   npm run build:site                      execute every course notebook, then write site/
//   npm run build:site -- --reuse           reuse artifacts/executed/<notebook> when it is complete and
//                                           newer than the notebook and every lib file; execute the rest
//   npm run build:site -- --out dir 04 06   another output folder; only notebooks whose names start so
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { JUPYTER, NOTEBOOKS_DIR, NOTEBOOK_RUNNER, ROOT, VENV_PYTHON, jupyterEnv } from "./jupyter-env.mjs";

export const EXECUTED_DIR = path.join(ROOT, "artifacts", "executed");
export const SITE_DIR = path.join(ROOT, "site");
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";
const PLOTLY_JS = path.join(ROOT, "node_modules", "plotly.js-dist-min", "plotly.min.js");
const TEMPLATE_DIR = path.join(__dirname, "site-template");
const CELL_TIMEOUT_S = 300;

type Output = { output_type: string; name?: string; data?: Record<string, unknown>; [key: string]: unknown };
type Cell = { cell_type: string; source: string | string[]; outputs?: Output[]; execution_count?: number | null; [key: string]: unknown };
export type Notebook = { cells: Cell[]; metadata: Record<string, unknown>; [key: string]: unknown };

const sourceOf = (cell: Cell) => [cell.source].flat().join("");
export const readNotebook = (file: string): Notebook => JSON.parse(fs.readFileSync(file, "utf8"));
export const courseNotebooks = () => fs.readdirSync(NOTEBOOKS_DIR).filter((name) => /^\d\d-.+\.ipynb$/.test(name)).sort();

/** The first heading's text without markdown marks: "# 4 · Multi-head *attention*" -> "4 · Multi-head attention". */
export function notebookTitle(notebook: Notebook, fallback: string): string {
  const heading = notebook.cells.filter((c) => c.cell_type === "markdown").map((c) => sourceOf(c).match(/^#{1,6}\s+(.+?)\s*$/m)).find(Boolean);
  return heading ? heading[1].replace(/[*_`]/g, "") : fallback;
}

/** The first paragraph of prose, with the list after it when the sentence runs on into it ("you will"). */
function summaryOf(notebook: Notebook): string {
  const blocks = notebook.cells.filter((c) => c.cell_type === "markdown").flatMap((c) => sourceOf(c).split(/\n\s*\n/)).map((b) => b.trim());
  const first = blocks.findIndex((block) => block && !/^(#|<|!\[|```|\||[-*] |\d+\. )/.test(block));
  if (first < 0) return "";
  const runsOn = !/[.!?)"”]$/.test(blocks[first]) && /^([-*]|\d+\.) /.test(blocks[first + 1] ?? "");
  return runsOn ? `${blocks[first]}\n\n${blocks[first + 1]}` : blocks[first];
}

/** Why an executed copy cannot be reused, or undefined when it is complete and newer than its sources. */
export function staleReason(notebookFile: string, executedFile: string): string | undefined {
  if (!fs.existsSync(executedFile)) return "no executed copy";
  const executedAt = fs.statSync(executedFile).mtimeMs;
  const libDir = path.join(ROOT, "lib");
  const newer = [notebookFile, ...fs.readdirSync(libDir, { recursive: true, encoding: "utf8" }).map((name) => path.join(libDir, name))].find((file) => fs.statSync(file).mtimeMs > executedAt);
  if (newer) return `${path.relative(ROOT, newer)} changed after it was executed`;
  const cells = readNotebook(executedFile).cells.filter((cell) => cell.cell_type === "code");
  if (cells.some((cell) => cell.execution_count == null)) return "not every code cell ran";
  return cells.some((cell) => (cell.outputs ?? []).some((o) => o.output_type === "error" || o.name === "stderr")) ? "a cell failed" : undefined;
}

/** Runs a command to the end with the project's Jupyter environment, its output shown; rejects unless it exits 0. */
function run(command: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: jupyterEnv(), stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", (error) => reject(new Error(`${what}: ${error.message} (run \`npm run setup\` first)`)));
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${what} failed (exit ${code}); see its messages above`))));
  });
}

/** Executes the notebooks with scripts/run_notebook.py, one after another, executed copies into `outDir`. */
export const executeNotebooks = (notebookFiles: string[], outDir: string) =>
  run(VENV_PYTHON, [NOTEBOOK_RUNNER, ...notebookFiles, "--out", outDir, "--timeout", String(CELL_TIMEOUT_S)], "run_notebook.py");

/** Converts notebooks to pages in `outDir` with nbconvert and the site template; inlines plotly.js where a figure is. */
export async function convertNotebooks(notebookFiles: string[], outDir: string): Promise<void> {
  await run(JUPYTER, ["nbconvert", "--to", "html", "--log-level=WARN", `--TemplateExporter.extra_template_basedirs=${path.dirname(TEMPLATE_DIR)}`,
    "--template", path.basename(TEMPLATE_DIR), "--output-dir", outDir, ...notebookFiles], "jupyter nbconvert");
  const plotly = `<script>${fs.readFileSync(PLOTLY_JS, "utf8").replace(/<\/script/gi, "<\\/script")}</script>`;
  for (const file of notebookFiles) {
    const page = path.join(outDir, path.basename(file).replace(/\.ipynb$/, ".html"));
    const html = fs.readFileSync(page, "utf8");
    fs.writeFileSync(page, html.replace("<!-- plotly.js -->", () => (html.includes(`<script type="${PLOTLY_MIME}">`) ? plotly : "")));
  }
}

export interface BuildOptions {
  outDir?: string;
  reuse?: boolean; // reuse complete executed copies newer than their notebook and lib
  only?: string[]; // notebook name prefixes, e.g. ["04", "06"]
  log?: (line: string) => void;
}

/** Executes (or reuses) the course notebooks and writes the site; returns the names of the pages written. */
export async function buildSite({ outDir = SITE_DIR, reuse = false, only = [], log = console.log }: BuildOptions = {}): Promise<string[]> {
  const all = courseNotebooks();
  const names = only.length ? all.filter((name) => only.some((prefix) => name.startsWith(prefix))) : all;
  if (names.length === 0) throw new Error(`no course notebook in ${NOTEBOOKS_DIR} starts with ${only.join(" or ")}`);
  const toRun = names.filter((name) => {
    const reason = reuse ? staleReason(path.join(NOTEBOOKS_DIR, name), path.join(EXECUTED_DIR, name)) : "";
    if (reuse) log(reason ? `${name}: executing (${reason})` : `${name}: reusing artifacts/executed/${name}`);
    return reason !== undefined;
  });
  if (toRun.length) await executeNotebooks(toRun.map((name) => path.join(NOTEBOOKS_DIR, name)), EXECUTED_DIR);

  // Titles come from the committed notebooks, so prev/next links hold when only a few pages are built.
  const pages = all.map((name) => ({ name, href: name.replace(/\.ipynb$/, ".html"), title: notebookTitle(readNotebook(path.join(NOTEBOOKS_DIR, name)), name) }));
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), "site-"));
  try {
    const staged = names.map((name) => {
      const i = all.indexOf(name);
      const notebook = readNotebook(path.join(EXECUTED_DIR, name));
      notebook.metadata.title = pages[i].title;
      notebook.metadata.site = { prev: pages[i - 1], next: pages[i + 1] };
      fs.writeFileSync(path.join(staging, name), JSON.stringify(notebook));
      return path.join(staging, name);
    });
    if (names.length === all.length) staged.push(writeIndex(pages, staging));
    await convertNotebooks(staged, outDir);
    const figures = path.join(NOTEBOOKS_DIR, "figures"); // the diagrams, for ![...](figures/x.svg)
    if (fs.existsSync(figures)) fs.cpSync(figures, path.join(outDir, "figures"), { recursive: true });
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  for (const name of names) log(`wrote ${path.relative(ROOT, path.join(outDir, name.replace(/\.ipynb$/, ".html")))}`);
  return names;
}

/** The index as a notebook of one markdown cell (nbconvert renders it like the others); returns its file. */
export function writeIndex(pages: { name: string; href: string; title: string }[], dir: string): string {
  const entries = pages.map(({ name, href, title }) => `1. **[${title}](${href})**  \n   ${summaryOf(readNotebook(path.join(NOTEBOOKS_DIR, name))).replace(/\n/g, "\n   ")}`);
  const intro = "Attention and transformers in TypeScript, built up to a tiny model that learns word arithmetic (“two plus three” → “five”). " +
    "These pages show every notebook with the outputs of one run; to change and run the code, open the notebooks in JupyterLab (`npm start`).";
  const markdown = ["# Attention workshop", intro, ...entries].join("\n\n");
  const index = { cells: [{ cell_type: "markdown", id: "index", metadata: {}, source: markdown }], metadata: { title: "Attention workshop" }, nbformat: 4, nbformat_minor: 5 };
  fs.writeFileSync(path.join(dir, "index.ipynb"), JSON.stringify(index));
  return path.join(dir, "index.ipynb");
}

if (require.main === module) {
  const { values, positionals } = parseArgs({ options: { reuse: { type: "boolean" }, out: { type: "string" } }, allowPositionals: true, strict: true });
  const started = Date.now();
  buildSite({ reuse: values.reuse, outDir: values.out && path.resolve(values.out), only: positionals })
    .then((names) => console.log(`site: ${names.length} pages in ${((Date.now() - started) / 1000).toFixed(0)} s`))
    .catch((error: Error) => {
      console.error(`build-site: ${error.message}`);
      process.exit(1);
    });
}
