// Adam, written out so its state (the running averages m and v) can go into a checkpoint,
// and the learning-rate schedule: linear warm-up, then cosine decay.
import * as tf from "@tensorflow/tfjs";
import { filledWeight } from "./weights";

export interface AdamOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
}

export class Adam {
  readonly m: Record<string, tf.Variable> = {}; // running mean of each gradient
  readonly v: Record<string, tf.Variable> = {}; // running mean of each squared gradient
  step = 0; // updates made so far
  readonly options: AdamOptions;

  constructor(private readonly weights: Record<string, tf.Variable>, options: Partial<AdamOptions> = {}) {
    this.options = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, ...options };
    for (const [name, w] of Object.entries(weights)) {
      this.m[name] = filledWeight(w.shape, 0, false);
      this.v[name] = filledWeight(w.shape, 0, false);
    }
  }

  /** One update of every weight from its gradient. */
  apply(grads: Record<string, tf.Tensor>, learningRate: number): void {
    const { beta1, beta2, epsilon } = this.options;
    this.step += 1;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    const missing = Object.keys(this.weights).filter((name) => !grads[name]);
    if (missing.length > 0) throw new Error(`Adam: no gradient for weight "${missing[0]}"; nothing was updated.`);
    tf.tidy(() => {
      for (const [name, w] of Object.entries(this.weights)) {
        const g = grads[name];
        const m = this.m[name].mul(beta1).add(g.mul(1 - beta1));
        const v = this.v[name].mul(beta2).add(g.square().mul(1 - beta2));
        const update = m.div(correction1).div(v.div(correction2).sqrt().add(epsilon));
        this.m[name].assign(m);
        this.v[name].assign(v);
        w.assign(w.sub(update.mul(learningRate)));
      }
    });
  }

  dispose(): void {
    for (const variable of [...Object.values(this.m), ...Object.values(this.v)]) variable.dispose();
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
