// What the ladder's results show: a table, held-out exact match per variant and operation, the
// loss curves, what guessing scores, and readings of a trained model (attention on the token it
// must predict, one head's attention on one problem, next-token accuracy with the whole sequence in view).
import * as tf from "@tensorflow/tfjs";
import { OPERATIONS, Operation, Problem, makeBatch } from "../data";
import { Transformer } from "../model";
import { percent } from "../notebook/format";
import { Figure, attentionHeatmap, lineGrid, matrixHeatmap } from "../notebook/plot";
import { END_ID, VOCAB } from "../vocab";
import { LadderOutcome, LossCurve, ladderSplit, mean } from "./variants";

/** A training loss to two significant digits: 0.0015, 0.000094, 1.7 (a fixed number of decimals would show 0.000). */
export const formatLoss = (loss: number) => loss.toPrecision(2);

export const LADDER_TABLE_HEADERS = ["variant", "what changes", "parameters", "steps", "final training loss", "held-out exact match", ...OPERATIONS];

/** One row per variant for showTable(LADDER_TABLE_HEADERS, rows). */
export function ladderTableRows(results: readonly LadderOutcome[]): string[][] {
  return results.map((r) => [
    r.variant.name,
    r.variant.change,
    r.parameters.toLocaleString("en-US"),
    r.steps.toLocaleString("en-US"),
    formatLoss(r.finalLoss),
    percent(r.heldOut.accuracy),
    ...OPERATIONS.map((op) => percent(r.heldOut.perOp[op])),
  ]);
}

/** Held-out exact match, one row per variant (top-down in ladder order), one column per operation and overall. */
export function ladderFigure(results: readonly LadderOutcome[], title = "Held-out exact match"): Figure {
  const columns = [...OPERATIONS, "all"];
  const asPercent = (share: number | undefined) => 100 * (share ?? NaN); // as the tables print it
  const matrix = results.map((r) => [...OPERATIONS.map((op) => asPercent(r.heldOut.perOp[op])), asPercent(r.heldOut.accuracy)]);
  return matrixHeatmap(matrix, results.map((r) => r.variant.name), columns, {
    title, rowTitle: "variant", colTitle: "held-out problems", valueName: "% right", valueFormat: ".1f", zmin: 0, zmax: 100, showValues: true,
  });
}

/**
 * Each variant's training-loss curve (each point the mean of a stretch of steps, see lossCurveOf)
 * in its own panel, the first curve's in grey behind the others.
 */
export function lossCurvesFigure(curves: { name: string; curve: LossCurve }[]): Figure {
  const series = curves.map(({ name, curve }) => ({
    name, x: curve.means.map((_, i) => (i + 1) * curve.every), y: curve.means, // each mean at the last step it covers
  }));
  const every = [...new Set(curves.map(({ curve }) => curve.every))].sort((a, b) => a - b);
  const stretch = every.length === 1 ? `${every[0]}` : `${every[0]} to ${every[every.length - 1]}`;
  const [reference] = series;
  return lineGrid(series.map((s, i) => ({ title: s.name, series: i === 0 ? [s] : [s, reference] })), {
    title: `Training loss, each point the mean of ${stretch} step${stretch === "1" ? "" : "s"} (grey: ${reference.name})`,
    xTitle: "step", yTitle: "loss (log scale)", logY: true,
  });
}

/** One head's attention weights [T][T] on one problem (query rows top-down), with its tokens and heatmap. */
export function headAttention(model: Transformer, problem: Problem, layer: number, head: number, title: string): { tokens: string[]; weights: number[][]; figure: Figure } {
  const batch = makeBatch([problem]);
  const tokens = batch.inputs[0].map((id) => VOCAB[id]);
  const weights = tf.tidy(() => model.forward(batch.inputs).attention[layer].arraySync() as number[][][][])[0][head]; // [1, H, T, T] -> [T, T]
  return { tokens, weights, figure: attentionHeatmap(weights, tokens, tokens, { title }) };
}

/** What always giving the commonest answer of the seed's training problems scores on its held-out problems, overall and per operation. */
export function commonestAnswerGuess(seed: number): { answer: string; accuracy: number; perOp: Record<Operation, number> } {
  const { train, test } = ladderSplit(seed);
  const counts = new Map<string, number>();
  for (const p of train) counts.set(p.answer, (counts.get(p.answer) ?? 0) + 1);
  const [answer] = [...counts].reduce((a, b) => (b[1] > a[1] ? b : a));
  const share = (problems: readonly Problem[]) => problems.filter((p) => p.answer === answer).length / problems.length;
  const perOp = Object.fromEntries(OPERATIONS.map((op) => [op, share(test.filter((p) => p.op === op))])) as Record<Operation, number>;
  return { answer, accuracy: share(test), perOp };
}

/**
 * How much the positions that predict an answer token attend to that very token, the one they
 * must predict: mean attention weight per layer and head, [layer][head], over the problems'
 * answer tokens after the first (the targets that are also inputs). 0 under the causal mask.
 */
export function attentionOnTarget(model: Transformer, problems: readonly Problem[]): number[][] {
  const batch = makeBatch(problems);
  const weights = tf.tidy(() => model.forward(batch.inputs).attention.map((a) => a.arraySync() as number[][][][])); // per layer [B, H, T, T]
  const T = batch.inputs[0].length;
  return weights.map((layer) => Array.from({ length: model.config.numHeads }, (_, h) => {
    const picked: number[] = [];
    batch.lossMask.forEach((row, b) => {
      for (let t = 0; t + 1 < T; t++) {
        // position t predicts targets[b][t]: an answer word is also input t + 1; [END] is no input
        if (row[t] === 1 && batch.targets[b][t] !== END_ID) picked.push(layer[b][h][t][t + 1]);
      }
    });
    return mean(picked);
  }));
}

/**
 * Share of answer tokens and [END] predicted right when the whole sequence is the input (as in
 * training): with the answer in view a model without the mask can copy it, so this stays high
 * even when its greedy answers, produced one token at a time, are wrong.
 */
export function nextTokenAccuracy(model: Transformer, problems: readonly Problem[]): number {
  const batch = makeBatch(problems);
  const predicted = tf.tidy(() => model.forward(batch.inputs).logits.argMax(-1).arraySync() as number[][]); // [B, T]
  let right = 0;
  let counted = 0;
  batch.lossMask.forEach((row, b) => row.forEach((m, t) => {
    if (m !== 1) return;
    counted += 1;
    if (predicted[b][t] === batch.targets[b][t]) right += 1;
  }));
  return right / counted;
}
