// Training one variant of the ladder in this thread, and reading its held-out exact match without padding.
import * as tf from "@tensorflow/tfjs";
import { OPERATIONS, Operation, Problem, promptIds } from "../data";
import { Evaluation, evaluate } from "../generate";
import { Transformer } from "../model";
import { Trainer, runTraining } from "../train";
import { StoredTensor } from "../training/safetensors";
import { LADDER_TRAIN_CONFIG, LadderOutcome, LadderSettings, PROGRESS_EVERY, Progress, Variant, VariantResult, checkSettings, checkVariants, ladderSplit, lossCurveOf, mean, stepsOf } from "./variants";

/**
 * Greedy exact match with every prompt batched only with prompts of its own length, so no row is
 * padded. lib's evaluate() pads shorter prompts on the right, which only the causal mask hides:
 * a model without it ("all") would see the padding where the answer should come.
 */
export function evaluateUnpadded(model: Transformer, problems: readonly Problem[]): Evaluation {
  const byLength = new Map<number, number[]>(); // prompt length -> indices into problems
  problems.forEach((p, i) => {
    const length = promptIds(p.question).length;
    byLength.set(length, [...(byLength.get(length) ?? []), i]);
  });
  const answers = new Array<string>(problems.length);
  const correctByOp = new Map<Operation, number>();
  for (const indices of byLength.values()) {
    const group = indices.map((i) => problems[i]);
    const result = evaluate(model, group);
    indices.forEach((i, row) => (answers[i] = result.answers[row]));
    for (const op of OPERATIONS) {
      const count = group.filter((p) => p.op === op).length;
      if (count > 0) correctByOp.set(op, (correctByOp.get(op) ?? 0) + Math.round((result.perOp[op] ?? 0) * count));
    }
  }
  const perOp: Partial<Record<Operation, number>> = {};
  let correct = 0;
  for (const op of OPERATIONS) {
    const count = problems.filter((p) => p.op === op).length;
    if (count === 0) continue;
    perOp[op] = (correctByOp.get(op) ?? 0) / count;
    correct += correctByOp.get(op) ?? 0;
  }
  return { accuracy: problems.length ? correct / problems.length : 0, perOp, answers };
}

function storedWeights(model: Transformer): Record<string, StoredTensor> {
  const out: Record<string, StoredTensor> = {};
  for (const [name, v] of Object.entries(model.namedWeights())) out[name] = { shape: v.shape.slice(), data: v.dataSync() as Float32Array };
  return out;
}

/** A model with a result's trained weights (dispose it, or make it inside remake()). */
export function modelOf(result: LadderOutcome): Transformer {
  const model = new Transformer(result.config);
  for (const [name, variable] of Object.entries(model.namedWeights())) {
    const { shape, data } = result.weights[name];
    tf.tidy(() => variable.assign(tf.tensor(data, shape)));
  }
  return model;
}

/** Trains one variant in this thread on the ladder's split, then evaluates it on the held-out problems. */
export async function trainVariant(variant: Variant, settings: LadderSettings, onProgress?: (progress: Progress) => void): Promise<VariantResult> {
  checkSettings(settings);
  checkVariants([variant]);
  const { train, test } = ladderSplit(settings.seed);
  const steps = stepsOf(variant, settings);
  const model = new Transformer({ ...variant.model, seed: settings.seed });
  const trainer = new Trainer(model, train, { ...LADDER_TRAIN_CONFIG, ...settings.train, steps, seed: settings.seed });
  try {
    const losses: number[] = []; // rounded, to keep results and figures small
    const lastLosses: number[] = []; // exact, over the last tenth of the steps
    const lastTenth = Math.max(1, Math.round(steps / 10));
    let reported = 0;
    const report = () => {
      onProgress?.({ variant: variant.name, step: trainer.step, steps, losses: losses.slice(reported) });
      reported = losses.length;
    };
    const started = Date.now();
    await runTraining(trainer, {
      onStep: ({ loss, step }) => {
        losses.push(Number(loss.toPrecision(4)));
        if (step > steps - lastTenth) lastLosses.push(loss);
        if (step % PROGRESS_EVERY === 0 || step === steps) report();
      },
    });
    const seconds = (Date.now() - started) / 1000;
    return {
      variant,
      config: model.config,
      parameters: model.numParameters(),
      steps: trainer.step,
      seconds,
      losses,
      finalLoss: mean(lastLosses), // as `npm run train -- --eval-every <steps / 10>` reports it at the end
      lossCurve: lossCurveOf(losses),
      heldOut: evaluateUnpadded(model, test),
      weights: storedWeights(model),
    };
  } finally {
    trainer.dispose();
  }
}

