// What the ladder's results show: a table, held-out exact match per variant and operation, the
// loss curves, and two readings of a trained model (attention on the token it must predict, and
// next-token accuracy with the whole sequence in view).
import * as tf from "@tensorflow/tfjs";
import { OPERATIONS, Problem, makeBatch } from "../data";
import { Transformer } from "../model";
import { percent } from "../notebook/format";
import { Figure, lineGrid, matrixHeatmap } from "../notebook/plot";
import { END_ID } from "../vocab";
import { LadderOutcome, LossCurve, mean } from "./variants";


export const LADDER_TABLE_HEADERS = ["variant", "what changes", "parameters", "steps", "final training loss", "held-out exact match", ...OPERATIONS];

/** One row per variant for showTable(LADDER_TABLE_HEADERS, rows). */
export function ladderTableRows(results: readonly LadderOutcome[]): string[][] {
  return results.map((r) => [
    r.variant.name,
    r.variant.change,
    r.parameters.toLocaleString("en-US"),
    r.steps.toLocaleString("en-US"),
    r.finalLoss.toFixed(3),
    percent(r.heldOut.accuracy),
    ...OPERATIONS.map((op) => percent(r.heldOut.perOp[op])),
  ]);
}

/** Held-out exact match, one row per variant (top-down in ladder order), one column per operation and overall. */
export function ladderFigure(results: readonly LadderOutcome[], title = "Held-out exact match"): Figure {
  const columns = [...OPERATIONS, "all"];
  const matrix = results.map((r) => [...OPERATIONS.map((op) => r.heldOut.perOp[op] ?? NaN), r.heldOut.accuracy]);
  const fig = matrixHeatmap(matrix, results.map((r) => r.variant.name), columns, {
    title, rowTitle: "variant", colTitle: "held-out problems", valueName: "exact match", zmin: 0, zmax: 1, showValues: true,
  });
  const coloraxis = fig.layout.coloraxis!;
  return { ...fig, layout: { ...fig.layout, coloraxis: { ...coloraxis, colorbar: { ...coloraxis.colorbar, title: { text: "1 = all right" } } } } };
}

/** Each variant's training-loss curve (block means of steps, see lossCurveOf) in its own panel, the first curve's in grey behind the others. */
export function lossCurvesFigure(curves: { name: string; curve: LossCurve }[], title = "Training loss, mean over blocks of steps"): Figure {
  const series = curves.map(({ name, curve }) => ({
    name, x: curve.means.map((_, i) => (i + 1) * curve.every), y: curve.means, // each block at its last step
  }));
  const [reference] = series;
  return lineGrid(series.map((s, i) => ({ title: s.name, series: i === 0 ? [s] : [s, reference] })), {
    title: `${title} (grey: ${reference.name})`, xTitle: "step", yTitle: "loss (log scale)", logY: true,
  });
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
