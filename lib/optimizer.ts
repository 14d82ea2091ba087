// Adam, written out so its state (the running averages m and v) can go into a checkpoint,
// and the learning-rate schedule: linear warm-up, then cosine decay.
import * as tf from "@tensorflow/tfjs";

export interface AdamOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number; // AdamW: every step, matrices (rank >= 2) shrink by learningRate * weightDecay of themselves
}

/** What Adam needs to continue: the update count and, by weight name, m and v. */
export interface AdamState {
  step: number;
  m: Record<string, Float32Array>; // running mean of each gradient
  v: Record<string, Float32Array>; // running mean of each squared gradient
}

/**
 * A variable's values as a Float32Array that JS updates in place. They are read from the variable
 * again whenever something else has assigned it (a checkpoint being loaded, say).
 */
class Mirror {
  private seen?: tf.DataId; // the variable's data when `values` were last read from or written to it

  constructor(readonly variable: tf.Variable, readonly values: Float32Array) {}

  /** The variable's current values. */
  read(): Float32Array {
    if (this.variable.dataId !== this.seen) {
      this.values.set(this.variable.dataSync());
      this.seen = this.variable.dataId;
    }
    return this.values;
  }

  /** Puts `values` into the variable. */
  write(): void {
    // A copy: on the cpu backend a tensor keeps the very array it is made from.
    tf.tidy(() => this.variable.assign(tf.tensor(this.values.slice(), this.variable.shape)));
    this.seen = this.variable.dataId;
  }
}

export class Adam {
  step = 0; // updates made so far
  readonly options: AdamOptions;
  private readonly m: Record<string, Float32Array> = {};
  private readonly v: Record<string, Float32Array> = {};
  private readonly weights: Record<string, Mirror> = {};

  /**
   * `values`, if given, hold each weight's numbers between updates (a view into shared memory, say,
   * for worker threads to read); by default Adam allocates them.
   */
  constructor(weights: Record<string, tf.Variable>, options: Partial<AdamOptions> = {}, values: Record<string, Float32Array> = {}) {
    this.options = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, ...options };
    for (const [name, w] of Object.entries(weights)) {
      const own = values[name] ?? new Float32Array(w.size);
      if (own.length !== w.size) throw new Error(`Adam: values for "${name}" hold ${own.length} numbers but the weight has ${w.size}.`);
      this.weights[name] = new Mirror(w, own);
      this.m[name] = new Float32Array(w.size);
      this.v[name] = new Float32Array(w.size);
    }
  }

  /** Every weight's current values, by name (read again from any variable assigned since). */
  weightValues(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const [name, mirror] of Object.entries(this.weights)) out[name] = mirror.read();
    return out;
  }

  /** A copy of the state, for a checkpoint. */
  state(): AdamState {
    const copy = (arrays: Record<string, Float32Array>) => Object.fromEntries(Object.entries(arrays).map(([name, a]) => [name, a.slice()]));
    return { step: this.step, m: copy(this.m), v: copy(this.v) };
  }

  /** Continues from a saved state; names any weight whose m or v is missing or of the wrong size. */
  loadState(state: AdamState): void {
    if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`Adam state: step must be a whole number >= 0, got ${state.step}.`);
    for (const which of ["m", "v"] as const) {
      for (const [name, own] of Object.entries(this[which])) {
        const saved = state[which][name];
        if (!saved) throw new Error(`Adam state: no ${which} for weight "${name}".`);
        if (saved.length !== own.length) throw new Error(`Adam state: ${which} for "${name}" holds ${saved.length} numbers but the weight has ${own.length}.`);
      }
    }
    for (const which of ["m", "v"] as const) for (const [name, own] of Object.entries(this[which])) own.set(state[which][name]);
    this.step = state.step;
  }

  /**
   * One update of every weight from its gradient (a tensor or its values). The arithmetic runs in
   * plain JS on m, v and the weights kept as Float32Arrays between updates; only the new weights
   * are written to the variables.
   */
  apply(grads: Record<string, tf.Tensor | Float32Array>, learningRate: number): void {
    const { beta1, beta2, epsilon, weightDecay } = this.options;
    for (const [name, { variable }] of Object.entries(this.weights)) {
      const g = grads[name];
      if (!g) throw new Error(`Adam: no gradient for weight "${name}"; nothing was updated.`);
      const [size, shape] = g instanceof Float32Array ? [g.length, [g.length]] : [g.size, g.shape];
      if (size !== variable.size) throw new Error(`Adam: the gradient for "${name}" has shape [${shape}] but the weight has [${variable.shape}]; nothing was updated.`);
    }
    this.step += 1;
    // w -= learningRate * (m / correction1) / (sqrt(v / correction2) + epsilon), rearranged to one division
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    const stepSize = (learningRate / correction1) * Math.sqrt(correction2);
    const scaledEpsilon = epsilon * Math.sqrt(correction2);
    for (const [name, mirror] of Object.entries(this.weights)) {
      const gradient = grads[name];
      const g = gradient instanceof Float32Array ? gradient : gradient.dataSync();
      const [m, v, w] = [this.m[name], this.v[name], mirror.read()];
      const keep = mirror.variable.rank >= 2 ? 1 - learningRate * weightDecay : 1; // biases and norm gains do not decay
      for (let i = 0; i < g.length; i++) {
        m[i] = beta1 * m[i] + (1 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
        w[i] = keep * w[i] - (stepSize * m[i]) / (Math.sqrt(v[i]) + scaledEpsilon);
      }
      mirror.write();
    }
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
