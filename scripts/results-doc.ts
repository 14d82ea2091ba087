// docs/results.md, written by `npm run results` from the shipped models' files alone, so that the
// document can be compared with the files (tests/results.test.ts) and never drifts from them.
import * as fs from "fs";
import * as path from "path";
import { OPERATIONS } from "../lib/data";
import { percent } from "../lib/notebook/format";
import { LADDER_TRAIN_CONFIG } from "../lib/ladder/variants";
import {
  Count, FULL_STEPS, RESULTS_DIR, SEEDS, SHIPPED, SHORT_SCHEDULES, SeedRun, ShippedMetadata, ShippedModel, VariantKey, ladderOverSeeds,
  readShippedMetadata, shippedFile,
} from "../lib/ladder/results";

export const RESULTS_DOCUMENT = path.resolve(RESULTS_DIR, "..", "docs", "results.md");

const share = ({ right, of }: Count) => (of === 0 ? "-" : `${percent(right / of)} of ${of}`);
const row = (cells: readonly (string | number)[]) => `| ${cells.join(" | ")} |`;
const table = (headers: readonly string[], rows: readonly (readonly (string | number)[])[]) =>
  [row(headers), row(headers.map(() => "---")), ...rows.map(row)].join("\n");

function find(variant: VariantKey, seed: number, steps = FULL_STEPS): { model: ShippedModel; metadata: ShippedMetadata } {
  const model = SHIPPED.find((m) => m.variant === variant && m.seed === seed && m.steps === steps)!;
  return { model, metadata: readShippedMetadata(model) };
}

function shippedSection(): string {
  const bytes = SHIPPED.reduce((sum, m) => sum + fs.statSync(shippedFile(m)).size, 0);
  return [
    "## What ships",
    "",
    `${SHIPPED.length} trained models in \`results/\`, ${(bytes / 2 ** 20).toFixed(1)} MiB in all: the weights as float32 \`.safetensors\`, with ` +
      "the model config, the recipe and the final evaluation in the metadata. `npm run results -- --check NAME` proves any of them bitwise.",
    "",
    `Every run uses the course's recipe (\`LADDER_TRAIN_CONFIG\` in \`lib/ladder/variants.ts\`) with its own steps and seed: ` +
      `\`${JSON.stringify({ ...LADDER_TRAIN_CONFIG, steps: undefined, seed: undefined })}\`. Held-out exact match is greedy decoding of every ` +
      "held-out problem of the run's seed, judged on the whole answer and [END].",
  ].join("\n");
}

function ladderSection(): string {
  const ladder = ladderOverSeeds();
  const rows = ladder.map(({ key, variant, runs }) => {
    const mean = (value: (r: SeedRun) => number) => runs.reduce((sum, r) => sum + value(r), 0) / runs.length;
    const { parameters, steps } = find(key, 0).metadata;
    return [variant.name, parameters.toLocaleString("en-US"), steps.toLocaleString("en-US"), ...runs.map((r) => percent(r.accuracy)),
      percent(mean((r) => r.accuracy)), ...OPERATIONS.map((op) => percent(mean((r) => r.perOp[op] ?? 0))), mean((r) => r.finalLoss).toFixed(4)];
  });
  return [
    "## The ladder: what each part buys, fully trained",
    "",
    "Notebook 7's variants, one change each from the course model, every one trained with the full recipe on seeds " +
      `${SEEDS.join(", ")}. Held-out exact match per seed, its mean, and the mean per operation.`,
    "",
    table(["variant", "parameters", "steps", ...SEEDS.map((s) => `seed ${s}`), "mean", ...OPERATIONS.map((op) => `${op} (mean)`), "final training loss (mean)"], rows),
    "",
    "What changes in each variant:",
    "",
    ...ladder.map(({ variant }) => `- **${variant.name}**: ${variant.change}.`),
  ].join("\n");
}

function scheduleSection(): string {
  const schedules = [...SHORT_SCHEDULES, FULL_STEPS];
  const rows = schedules.map((steps) => {
    const { metadata } = find("course", 0, steps);
    return [steps.toLocaleString("en-US"), metadata.finalLoss.toFixed(3), percent(metadata.heldOut.accuracy), ...OPERATIONS.map((op) => percent(metadata.heldOut.perOp[op]))];
  });
  return [
    "## What a schedule of N steps reaches",
    "",
    "The course model on seed 0 with the learning-rate schedule fitted to N steps (warm-up, then cosine decay to the end). " +
      "A time budget in notebook 6 or `npm run train -- --time-budget S` fits the schedule the same way, so the steps a machine manages " +
      "in the budget say which row it lands near (`npm run train -- --steps N --shards 1 --workers 0` re-makes a row; with the default " +
      "two shards the float rounding differs, and so do the exact figures).",
    "",
    table(["steps", "final training loss", "held-out", ...OPERATIONS], rows),
  ].join("\n");
}

function memorisingSection(): string {
  const rows = SEEDS.flatMap((seed) => {
    const { metadata } = find("course", seed);
    return (["times", "divided"] as const).map((op) => {
      const g = metadata.facts[op];
      const heldOutFacts = { right: g.mirrorSeen.right + g.mirrorUnseen.right, of: g.mirrorSeen.of + g.mirrorUnseen.of };
      return [seed, op, share(g.trainingFacts), share(heldOutFacts), share(g.mirrorSeen), share(g.mirrorUnseen), share(g.rules)];
    });
  });
  return [
    "## Memorising against generalising",
    "",
    "Times and divided by are tables of facts: there is no carry or borrow to learn. For the fully trained course model, exact match on the " +
      "facts it trained on (the 0 and 1 rules left out) against held-out facts it never saw, the held-out facts split by whether their " +
      "mirror (*b times a* for *a times b*) was a training problem, and the held-out 0 and 1 rules.",
    "",
    table(["seed", "operation", "training facts", "held-out facts", "held-out, mirror trained", "held-out, no mirror trained", "held-out 0/1 rules"], rows),
  ].join("\n");
}

export function resultsDocument(): string {
  return [
    "# Results of the shipped models",
    "",
    "Written by `npm run results` from the files in `results/`; do not edit by hand (`npm test` fails when this page differs from what the " +
      "command writes). `npm run results -- --list` names the models, `--check NAME` re-trains one from scratch and compares it bit for bit.",
    "",
    shippedSection(),
    "",
    ladderSection(),
    "",
    scheduleSection(),
    "",
    memorisingSection(),
    "",
  ].join("\n");
}

export function writeResultsDocument(): string {
  fs.writeFileSync(RESULTS_DOCUMENT, resultsDocument());
  return path.relative(process.cwd(), RESULTS_DOCUMENT);
}
