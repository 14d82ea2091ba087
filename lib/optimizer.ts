// Adam, written out so its state (the running averages m and v) can go into a checkpoint,
// and the learning-rate schedule: linear warm-up, then cosine decay.
import * as tf from "@tensorflow/tfjs";
import { filledWeight } from "./weights";

export interface AdamOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number; // AdamW: every step, matrices (rank >= 2) shrink by learningRate * weightDecay of themselves
}

/**
 * A variable's values as a Float32Array that JS updates in place. They are read from the variable
 * again whenever something else has assigned it (a checkpoint being loaded, say), and written
 * back by flush().
 */
class Mirror {
  private values = new Float32Array(0);
  private seen?: tf.DataId; // the variable's data when `values` were last read from or written to it
  private changed = false; // `values` differ from the variable's data

  constructor(readonly variable: tf.Variable) {}

  /** The values, to change in place; flush() puts them into the variable. */
  read(): Float32Array {
    if (this.variable.dataId !== this.seen) {
      this.values = Float32Array.from(this.variable.dataSync()); // a copy of our own
      this.seen = this.variable.dataId;
    }
    this.changed = true;
    return this.values;
  }

  flush(): void {
    if (!this.changed || this.variable.dataId !== this.seen) return;
    // A copy: on the cpu backend a tensor keeps the very array it is made from.
    tf.tidy(() => this.variable.assign(tf.tensor(this.values.slice(), this.variable.shape)));
    this.seen = this.variable.dataId;
    this.changed = false;
  }
}

export class Adam {
  step = 0; // updates made so far
  readonly options: AdamOptions;
  private readonly state: Record<string, { m: Mirror; v: Mirror; w: Mirror }> = {};

  constructor(private readonly weights: Record<string, tf.Variable>, options: Partial<AdamOptions> = {}) {
    this.options = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, ...options };
    for (const [name, w] of Object.entries(weights)) {
      this.state[name] = { m: new Mirror(filledWeight(w.shape, 0, false)), v: new Mirror(filledWeight(w.shape, 0, false)), w: new Mirror(w) };
    }
  }

  /** The running mean of each gradient, by weight name: up to date when read (read it again after an update). */
  get m(): Record<string, tf.Variable> {
    return this.variables("m");
  }

  /** The running mean of each squared gradient, by weight name: up to date when read, as m. */
  get v(): Record<string, tf.Variable> {
    return this.variables("v");
  }

  private variables(which: "m" | "v"): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    for (const [name, state] of Object.entries(this.state)) {
      state[which].flush();
      out[name] = state[which].variable;
    }
    return out;
  }

  /**
   * One update of every weight from its gradient. The arithmetic runs in plain JS on m, v and the
   * weights kept as Float32Arrays between updates: written with tf ops it is about 14 small kernels
   * per weight (450 a step for the default model), which cost more than one pass of JS over the
   * ~100k numbers. Only the gradients are read and the new weights written each step.
   */
  apply(grads: Record<string, tf.Tensor>, learningRate: number): void {
    const { beta1, beta2, epsilon, weightDecay } = this.options;
    for (const [name, w] of Object.entries(this.weights)) {
      const g = grads[name];
      if (!g) throw new Error(`Adam: no gradient for weight "${name}"; nothing was updated.`);
      if (g.size !== w.size) throw new Error(`Adam: the gradient for "${name}" has shape [${g.shape}] but the weight has [${w.shape}]; nothing was updated.`);
    }
    this.step += 1;
    // w -= learningRate * (m / correction1) / (sqrt(v / correction2) + epsilon), rearranged to one division
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    const stepSize = (learningRate / correction1) * Math.sqrt(correction2);
    const scaledEpsilon = epsilon * Math.sqrt(correction2);
    for (const [name, state] of Object.entries(this.state)) {
      const g = grads[name].dataSync();
      const [m, v, w] = [state.m.read(), state.v.read(), state.w.read()];
      const keep = state.w.variable.rank >= 2 ? 1 - learningRate * weightDecay : 1; // biases and norm gains do not decay
      for (let i = 0; i < g.length; i++) {
        m[i] = beta1 * m[i] + (1 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
        w[i] = keep * w[i] - (stepSize * m[i]) / (Math.sqrt(v[i]) + scaledEpsilon);
      }
      state.w.flush(); // the model needs its new weights now; m and v wait until someone reads them
    }
  }

  dispose(): void {
    for (const { m, v } of Object.values(this.state)) tf.dispose([m.variable, v.variable]);
  }
}

export interface Schedule {
  peak: number; // the learning rate after warm-up
  warmupSteps: number;
  totalSteps: number; // cosine reaches `floor` here
  floor: number; // the smallest learning rate
}

/** Linear warm-up from 0 to `peak`, then cosine decay to `floor` at `totalSteps`. */
export function learningRateAt(step: number, { peak, warmupSteps, totalSteps, floor }: Schedule): number {
  if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
  return floor + 0.5 * (peak - floor) * (1 + Math.cos(Math.PI * progress));
}
