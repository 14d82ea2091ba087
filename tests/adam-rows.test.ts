import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { adamLastStepRows } from "../lib/analysis/adam-rows";

/** A [4, 2] gradient that is 1 in the given rows and 0 elsewhere. */
const rowsGradient = (rows: number[]) => tf.tensor2d([0, 1, 2, 3].map((r) => (rows.includes(r) ? [1, 1] : [0, 0])));

describe("adamLastStepRows", () => {
  const table = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
  const first = rowsGradient([0]);
  const second = rowsGradient([2]);

  it("one step without decay moves exactly the rows with a gradient", () => {
    expect(adamLastStepRows(table, [second], 0.01, 0)).toEqual({ gradientRows: [2], movedRows: [2] });
  });

  it("momentum keeps moving a row whose gradient is now zero", () => {
    expect(adamLastStepRows(table, [first, second], 0.01, 0)).toEqual({ gradientRows: [2], movedRows: [0, 2] });
  });

  it("weight decay moves every row", () => {
    expect(adamLastStepRows(table, [first, second], 0.01, 0.1).movedRows).toEqual([0, 1, 2, 3]);
  });

  it("leaves the table as it was, holds no tensors afterwards, and rejects a wrong gradient shape", () => {
    const tensors = tf.memory().numTensors;
    adamLastStepRows(table, [first, second], 0.01, 0.1);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(table.arraySync()).toEqual([[1, 2], [3, 4], [5, 6], [7, 8]]);
    expect(() => adamLastStepRows(table, [tf.zeros([3, 2])], 0.01, 0)).toThrow(/gradient 0 has shape \[3,2\] but the table has \[4,2\]/);
    expect(() => adamLastStepRows(table, [], 0.01, 0)).toThrow(/no gradients/);
    expect(() => adamLastStepRows(tf.zeros([4]), [tf.zeros([4])], 0.01, 0)).toThrow(/shape \[4\]; expected a 2-D/);
  });
});
