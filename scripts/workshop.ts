// docs/workshop.md: how long the course takes, measured section by section, and a 3-hour workshop
// plan whose length is added up from the same measurements.
//   npm run workshop   writes the document: words, code lines and exercises from notebooks/, run
//                      times from the executed copies that `npm test` leaves in artifacts/executed/
import * as fs from "fs";
import * as path from "path";
import { NOTEBOOKS_DIR, ROOT } from "./jupyter-env.mjs";

export const WORKSHOP_DOCUMENT = path.join(ROOT, "docs", "workshop.md");
const EXECUTED_DIR = path.join(ROOT, "artifacts", "executed");
/** What the minutes assume: a careful reading pace, and time for a learner to try an exercise and read its check. */
const PACE = { proseWordsPerMinute: 150, codeLinesPerMinute: 20, minutesPerExercise: 5 };

type Block = { what: string; minutes: number } | { notebook: string; skip: readonly string[] | "all"; instead?: string };
/** The 3-hour workshop: notebooks in order, the sections left for afterwards (by heading), and the breaks. */
export const PLAN: { minutes: number; blocks: readonly Block[] } = {
  minutes: 180,
  blocks: [
    { what: "welcome: every laptop opens notebook 1 (set up the day before)", minutes: 5 },
    { notebook: "01-calculator", skip: ["Exercise (optional): the loss mask by hand", "The model's embedding in lib"] },
    { notebook: "02-query-key-value", skip: ["The same with lib"] },
    { notebook: "03-causal-masking", skip: ["The same with lib", "The whole model", "Exercise 2: mask by addition, as lib does"] },
    { what: "break", minutes: 10 },
    { notebook: "04-multi-head-attention", skip: ["Why the head count must divide D", "The journey of the tensors"] },
    { notebook: "05-transformer-block", skip: ["Exercise: the pre-norm block"] },
    {
      notebook: "06-training",
      skip: ["Exercise: the masked cross-entropy", "Memorising or generalising?", "Using the model: greedy decoding", "When was the routing learned?", "Saving and loading the trained model"],
      instead: "USE_SHIPPED_MODEL = true: the shipped model replaces the training cell's wait",
    },
    { notebook: "07-experiments", skip: ["Layers", "Where the weights start"], instead: 'LADDER_SOURCE = "shipped" (as committed): no training' },
    { notebook: "08-long-contexts", skip: "all", instead: "after the workshop" },
  ],
};

interface Cell {
  cell_type: string;
  source: string | string[];
  metadata?: { execution?: Record<string, string> };
}
export interface Section {
  notebook: string; // "01-calculator"
  heading: string; // its "##" or "###" heading ("" for the notebook's opening)
  words: number; // markdown prose, without the code of hidden solutions
  codeLines: number; // non-blank lines of code cells
  exercises: number; // code cells with a TODO
  runSeconds: number; // the code cells' execution time in an executed copy
}

const sourceOf = (cell: Cell) => [cell.source].flat().join("");
const secondsOf = (cell: Cell | undefined) => {
  const { "iopub.status.busy": busy, "iopub.status.idle": idle } = cell?.metadata?.execution ?? {};
  return busy && idle ? (Date.parse(idle) - Date.parse(busy)) / 1000 : 0;
};

/** Every section of every course notebook, measured; run times from the executed copies in `executedDir`, or else from `runSecondsOf`. */
export function measureSections(executedDir: string | undefined, runSecondsOf: (notebook: string, heading: string) => number = () => 0): Section[] {
  const files = fs.readdirSync(NOTEBOOKS_DIR).filter((name) => /^\d.*\.ipynb$/.test(name)).sort();
  return files.flatMap((file) => {
    const notebook = file.replace(/\.ipynb$/, "");
    const read = (dir: string): Cell[] => JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")).cells;
    const cells = read(NOTEBOOKS_DIR);
    const executed = executedDir && fs.existsSync(path.join(executedDir, file)) ? read(executedDir) : undefined;
    if (executedDir && !executed) throw new Error(`No executed copy of ${file} in ${executedDir}: run \`npm test\` first.`);
    const sections: Section[] = [];
    cells.forEach((cell, i) => {
      const source = sourceOf(cell);
      const heading = cell.cell_type === "markdown" ? /^#{2,3} (.*)$/m.exec(source)?.[1] : undefined;
      if (sections.length === 0 || heading !== undefined) sections.push({ notebook, heading: heading ?? "", words: 0, codeLines: 0, exercises: 0, runSeconds: 0 });
      const section = sections[sections.length - 1];
      if (cell.cell_type === "markdown") {
        section.words += (source.replace(/```[\s\S]*?```/g, "").match(/[A-Za-z0-9][\w'’·-]*/g) ?? []).length;
        return;
      }
      section.codeLines += source.split("\n").filter((line) => line.trim()).length;
      if (source.includes("// TODO")) section.exercises += 1;
      section.runSeconds += secondsOf(executed?.[i]);
    });
    if (!executed) sections.forEach((s) => (s.runSeconds = runSecondsOf(notebook, s.heading)));
    return sections;
  });
}

const minutesOf = (s: Section) =>
  s.words / PACE.proseWordsPerMinute + s.codeLines / PACE.codeLinesPerMinute + s.exercises * PACE.minutesPerExercise + s.runSeconds / 60;
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const row = (cells: readonly (string | number)[]) => `| ${cells.join(" | ")} |`;
const table = (headers: readonly string[], rows: readonly (readonly (string | number)[])[]) => [row(headers), row(headers.map(() => "---")), ...rows.map(row)].join("\n");
const clock = (minutes: number) => `${Math.floor(minutes / 60)}:${String(Math.round(minutes % 60)).padStart(2, "0")}`;

/** Minutes of each plan block, in order; throws if the plan names a notebook or a heading that does not exist. */
export function planMinutes(sections: readonly Section[]): number[] {
  return PLAN.blocks.map((block) => {
    if ("minutes" in block) return block.minutes;
    const own = sections.filter((s) => s.notebook === block.notebook);
    if (own.length === 0) throw new Error(`The workshop plan names the notebook "${block.notebook}", which does not exist.`);
    if (block.skip === "all") return 0;
    for (const heading of block.skip) {
      if (!own.some((s) => s.heading === heading)) throw new Error(`The workshop plan skips "${heading}" in ${block.notebook}, which has no such heading.`);
    }
    const skipped = own.filter((s) => block.skip.includes(s.heading));
    const skippedRunSeconds = sum(skipped.map((s) => s.runSeconds)); // its cells still run: later sections need what they define
    return Math.round(sum(own.filter((s) => !skipped.includes(s)).map(minutesOf)) + skippedRunSeconds / 60);
  });
}

export function workshopDocument(sections: readonly Section[]): string {
  const notebooks = [...new Set(sections.map((s) => s.notebook))];
  const perNotebook = notebooks.map((nb) => sections.filter((s) => s.notebook === nb));
  const total = (of: readonly Section[], key: "words" | "codeLines" | "exercises" | "runSeconds") => sum(of.map((s) => s[key]));
  const minutes = planMinutes(sections);
  let start = 0;
  const planRows = PLAN.blocks.map((block, i) => {
    const at = clock(start);
    start += minutes[i];
    if ("minutes" in block) return [at, block.what, "", block.minutes];
    const what = block.skip === "all" ? "" : block.skip.length ? `all but: ${block.skip.map((h) => `*${h}*`).join(", ")}` : "all";
    return [at, `notebook ${block.notebook}`, [what, block.instead].filter(Boolean).join("; "), block.skip === "all" ? "-" : minutes[i]];
  });
  return [
    "# The course, timed",
    "",
    "Written by `npm run workshop` from the notebooks (prose words, code lines, exercises) and from the executed copies `npm test`",
    "leaves in `artifacts/executed/` (each section's run time on the machine that ran the tests). Minutes assume prose read at",
    `${PACE.proseWordsPerMinute} words and code at ${PACE.codeLinesPerMinute} lines a minute, and ${PACE.minutesPerExercise} minutes for an exercise; they include the run times.`,
    "The plan is `PLAN` in `scripts/workshop.ts`; `tests/workshop-doc.test.ts` fails when this page no longer matches the notebooks.",
    "",
    "In the room every notebook runs whole (*Run → Run All Cells*): a section left for afterwards is not read or discussed, but its",
    "cells run, since later ones use what they define; its run time is counted.",
    "",
    "## A 3-hour workshop",
    "",
    table(["start", "block", "sections", "minutes"], planRows),
    "",
    `In all ${sum(minutes)} of ${PLAN.minutes} minutes; what is left fits homework or a second session.`,
    "",
    "## Self-paced, the whole course",
    "",
    table(["notebook", "prose words", "code lines", "exercises", "run time (s)", "minutes"], [
      ...perNotebook.map((of) => [of[0].notebook, total(of, "words"), total(of, "codeLines"), total(of, "exercises"), total(of, "runSeconds").toFixed(0), Math.round(sum(of.map(minutesOf)))]),
      ["all", total(sections, "words"), total(sections, "codeLines"), total(sections, "exercises"), total(sections, "runSeconds").toFixed(0), Math.round(sum(sections.map(minutesOf)))],
    ]),
    "",
    "## Every section",
    "",
    table(["notebook", "section", "prose words", "code lines", "exercises", "run time (s)", "minutes"],
      sections.map((s) => [s.notebook, s.heading || "(opening)", s.words, s.codeLines, s.exercises, s.runSeconds.toFixed(1), minutesOf(s).toFixed(1)])),
    "",
  ].join("\n");
}

/** The run times in an existing document's "Every section" table, by notebook and heading. */
export function runSecondsIn(document: string): (notebook: string, heading: string) => number {
  const seconds = new Map<string, number>();
  for (const line of document.split("\n").slice(document.indexOf("## Every section") === -1 ? 0 : undefined)) {
    const cells = line.split(" | ");
    if (cells.length === 7) seconds.set(`${cells[0].slice(2)}/${cells[1]}`, Number(cells[5]));
  }
  return (notebook, heading) => seconds.get(`${notebook}/${heading || "(opening)"}`) ?? 0;
}

if (require.main === module) {
  fs.writeFileSync(WORKSHOP_DOCUMENT, workshopDocument(measureSections(EXECUTED_DIR)));
  console.log(`wrote ${path.relative(process.cwd(), WORKSHOP_DOCUMENT)}`);
}
