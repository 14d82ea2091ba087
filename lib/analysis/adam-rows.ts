// Which rows of a table an Adam update moves: all rows with a gradient, but also rows whose
// gradient is zero now (momentum from earlier steps, and weight decay). Notebook 1 shows it on the
// token table.
import * as tf from "@tensorflow/tfjs";
import { Adam } from "../optimizer";

export interface LastStepRows {
  gradientRows: number[]; // rows with a non-zero gradient in the last step
  movedRows: number[]; // rows the last step changed
}

const rowsWhere = (m: number[][], test: (row: number[], i: number) => boolean) =>
  m.map((row, i) => (test(row, i) ? i : -1)).filter((i) => i >= 0);

/**
 * Adam steps on a copy of `table` [R, C], one per gradient [R, C], at `learningRate`; returns which
 * rows the last step had a gradient for and which it moved. `table` itself is left as it is.
 */
export function adamLastStepRows(table: tf.Tensor, gradients: tf.Tensor[], learningRate: number, weightDecay: number): LastStepRows {
  if (table.rank !== 2) throw new Error(`adamLastStepRows: the table has shape [${table.shape}]; expected a 2-D [rows, columns] table.`);
  if (gradients.length === 0) throw new Error("adamLastStepRows: got no gradients; expected one per step.");
  gradients.forEach((g, i) => {
    if (g.shape.join() !== table.shape.join()) {
      throw new Error(`adamLastStepRows: gradient ${i} has shape [${g.shape}] but the table has [${table.shape}].`);
    }
  });
  const start = table.clone(); // [R, C]
  const copy = tf.variable(start); // [R, C] a trainable copy
  start.dispose();
  const adam = new Adam({ copy }, { weightDecay });
  let before: number[][] = [];
  for (const gradient of gradients) {
    before = copy.arraySync() as number[][];
    adam.apply({ copy: gradient }, learningRate);
  }
  const after = copy.arraySync() as number[][];
  copy.dispose();
  const last = gradients[gradients.length - 1].arraySync() as number[][];
  return {
    gradientRows: rowsWhere(last, (row) => row.some((g) => g !== 0)),
    movedRows: rowsWhere(after, (row, i) => row.some((w, c) => w !== before[i][c])),
  };
}
