// Training: masked cross-entropy on the answer tokens, Adam with warm-up and cosine decay,
// periodic evaluation, checkpoints, and resuming a stopped run exactly where it left off.
import * as tf from "@tensorflow/tfjs";
import { Batch, BatchSampler, Problem, Repeats } from "./data";
import { BackendName } from "./fast/backend";
import { Evaluation, evaluate } from "./generate";
import { answerTokenCount } from "./loss";
import { Transformer } from "./model";
import { Adam, learningRateAt } from "./optimizer";
import { loadCheckpoint, saveCheckpoint, storedAdamState } from "./training/checkpoint";
import { GradientWorkers } from "./training/gradient-workers";
import { WorkerTiming, computeShardGradients, shardsOf, sumShards, weightLayout } from "./training/shards";
import { WorkerError } from "./workers/pool";

export interface TrainConfig {
  steps: number; // total steps; the cosine schedule ends here
  batchSize: number;
  shards: number; // every batch is cut into this many parts whose gradients are summed in order: the same result on any number of workers
  learningRate: number; // peak, after warm-up
  warmupSteps: number;
  minLearningRate: number;
  seed: number; // batch order
  oversample: Repeats; // e.g. { times: 4 }: every epoch shows each times problem 4 times
  weightDecay: number; // AdamW's decoupled weight decay on the weight matrices; 0 for plain Adam
}

/** The recipe used by `npm run train`, notebook 6 and the shipped models. */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  steps: 5000,
  batchSize: 64,
  shards: 2,
  learningRate: 3e-3,
  warmupSteps: 100,
  minLearningRate: 1e-4,
  seed: 0,
  oversample: { times: 4, divided: 4 },
  weightDecay: 0.1,
};

export interface StepInfo {
  step: number; // steps done, after this one
  loss: number;
  learningRate: number;
  gradientMs: number; // forward and backward pass (on the workers, with the exchange)
  updateMs: number; // summing the shards' gradients and the Adam update
  workers?: WorkerTiming[]; // how each worker thread spent the step, when there are any
}

export interface TrainerOptions {
  /**
   * 0 (the default): compute in this thread. N: on N worker threads, each with its own tfjs backend
   * and copy of the weights. The losses and weights are bitwise the same either way.
   */
  workers?: number;
}

export class Trainer {
  readonly config: TrainConfig;
  readonly optimizer: Adam;
  readonly sampler: BatchSampler;
  readonly workers: number;
  readonly workerPool?: GradientWorkers;
  step = 0; // steps done
  private readonly gradientsPerShard: Float32Array[]; // [shards] every weight's gradient, flat, in shared memory
  private readonly gradientSum: Float32Array;
  private readonly gradientByName: Record<string, Float32Array>; // views into gradientSum

  constructor(readonly model: Transformer, trainProblems: readonly Problem[], config: Partial<TrainConfig> = {}, options: TrainerOptions = {}) {
    this.config = { ...DEFAULT_TRAIN_CONFIG, ...config };
    for (const key of ["steps", "batchSize", "shards"] as const) {
      const value = this.config[key];
      if (!Number.isInteger(value) || value < 1) throw new Error(`${key} must be a positive whole number, got ${value}.`);
    }
    if (this.config.shards > this.config.batchSize) {
      throw new Error(`shards (${this.config.shards}) must not exceed batchSize (${this.config.batchSize}): every shard needs a sequence.`);
    }
    if (!(this.config.learningRate > 0)) throw new Error(`learningRate must be positive, got ${this.config.learningRate}.`);
    const { warmupSteps, minLearningRate, learningRate } = this.config;
    if (!Number.isInteger(warmupSteps) || warmupSteps < 0) throw new Error(`warmupSteps must be a whole number >= 0, got ${warmupSteps}.`);
    if (!(minLearningRate >= 0 && minLearningRate <= learningRate)) {
      throw new Error(`minLearningRate must lie between 0 and learningRate (${learningRate}), got ${minLearningRate}.`);
    }
    if (!(this.config.weightDecay >= 0)) throw new Error(`weightDecay must be 0 or more, got ${this.config.weightDecay}.`);
    this.workers = options.workers ?? 0;
    if (!Number.isInteger(this.workers) || this.workers < 0) throw new Error(`workers must be a whole number >= 0, got ${this.workers}.`);
    this.sampler = new BatchSampler(trainProblems, this.config.batchSize, this.config.seed, this.config.oversample);

    const { slots, total } = weightLayout(model.namedWeights());
    const weightMemory = new SharedArrayBuffer(total * 4);
    const values = Object.fromEntries(slots.map(({ name, offset, size }) => [name, new Float32Array(weightMemory, offset * 4, size)]));
    this.optimizer = new Adam(model.namedWeights(), { weightDecay: this.config.weightDecay }, values);
    const gradientMemory = new SharedArrayBuffer(this.config.shards * total * 4);
    this.gradientsPerShard = Array.from({ length: this.config.shards }, (_, s) => new Float32Array(gradientMemory, s * total * 4, total));
    this.gradientSum = new Float32Array(total);
    this.gradientByName = Object.fromEntries(slots.map(({ name, offset, size }) => [name, this.gradientSum.subarray(offset, offset + size)]));
    if (this.workers > 0) {
      const setup = { modelConfig: model.config, backend: tf.getBackend() as BackendName, weights: weightMemory, gradients: gradientMemory };
      this.workerPool = new GradientWorkers(this.workers, setup);
    }
  }

  learningRate(): number {
    const { learningRate, warmupSteps, steps, minLearningRate } = this.config;
    return learningRateAt(this.step, { peak: learningRate, warmupSteps, totalSteps: steps, floor: minLearningRate });
  }

  /** Sets the total steps (where the cosine decay ends), e.g. to fit a time budget; saved with the config. */
  setTotalSteps(steps: number): void {
    if (!Number.isInteger(steps) || steps < Math.max(1, this.step)) throw new Error(`steps must be a whole number >= ${Math.max(1, this.step)} (the steps done), got ${steps}.`);
    this.config.steps = steps;
  }

  /** Resolves once the worker threads (if any) are ready, to the milliseconds they took to start. */
  async ready(): Promise<number> {
    return this.workerPool ? this.workerPool.ready : 0;
  }

  /** One step in this thread: loss and gradients on the next batch, then one Adam update. */
  trainStep(): StepInfo {
    return this.trainOn(this.sampler.batchAt(this.step));
  }

  /** One step on a batch of your choosing, in this thread (trainStep takes the sampler's batch for this step). */
  trainOn(batch: Batch): StepInfo {
    const started = performance.now();
    const shards = shardsOf(batch, this.config.shards);
    const tokenCount = answerTokenCount(batch);
    const losses = shards.map((shard, s) => computeShardGradients(this.model, shard, tokenCount, this.gradientsPerShard[s]));
    return this.update(losses, started);
  }

  /** One step on the worker threads if there are any (else in this thread): as trainStep, and bitwise the same. */
  async trainStepAsync(): Promise<StepInfo> {
    return this.trainOnAsync(this.sampler.batchAt(this.step));
  }

  /** trainOn, on the worker threads if there are any. */
  async trainOnAsync(batch: Batch): Promise<StepInfo> {
    if (!this.workerPool) return this.trainOn(batch);
    await this.workerPool.ready;
    const started = performance.now();
    const shards = shardsOf(batch, this.config.shards);
    this.optimizer.weightValues(); // the shared weights the workers read, refreshed from any variable assigned since the last update
    const { losses, timings } = await this.workerPool.compute(this.step + 1, shards, answerTokenCount(batch));
    return { ...this.update(losses, started), workers: timings };
  }

  /** Adds up the shards' losses and gradients (in shard order) and updates the weights. */
  private update(losses: number[], started: number): StepInfo {
    const loss = losses.reduce((sum, l) => sum + l, 0);
    const gradientMs = performance.now() - started;
    if (!Number.isFinite(loss)) {
      throw new Error(
        `Training diverged: the loss is ${loss} at step ${this.step + 1}. The weights were left as they were after step ${this.step}; ` +
          `try a lower learning rate than ${this.config.learningRate}.`,
      );
    }
    const learningRate = this.learningRate();
    sumShards(this.gradientsPerShard, this.gradientSum);
    this.optimizer.apply(this.gradientByName, learningRate);
    this.step += 1;
    return { step: this.step, loss, learningRate, gradientMs, updateMs: performance.now() - started - gradientMs };
  }

  /** Model, optimizer state, step and both configs in one file, plus any `extra` metadata. */
  save(path: string, extra: Record<string, string> = {}): void {
    saveCheckpoint(path, this.model, this.optimizer, { ...extra, step: String(this.step), train: JSON.stringify(this.config) });
  }

  /** A trainer that continues the run saved in `path` as if it had never stopped (on any number of workers). */
  static resume(path: string, trainProblems: readonly Problem[], options: TrainerOptions = {}): Trainer {
    const { model, metadata, tensors } = loadCheckpoint(path);
    if (!metadata.train || !metadata.step) {
      model.dispose();
      throw new Error(`Checkpoint "${path}" holds a model but no training state to resume.`);
    }
    let trainConfig: Partial<TrainConfig>;
    try {
      trainConfig = JSON.parse(metadata.train);
    } catch (e) {
      model.dispose();
      throw new Error(`Checkpoint "${path}" has an unreadable training config: ${(e as Error).message}`);
    }
    // A checkpoint from before shards existed trained on whole batches.
    const trainer = new Trainer(model, trainProblems, { shards: 1, ...trainConfig }, options);
    trainer.optimizer.loadState(storedAdamState(path, model.namedWeights(), tensors, metadata));
    trainer.step = Number(metadata.step);
    return trainer;
  }

  /** Frees the model's weights and stops the worker threads. */
  dispose(): void {
    this.workerPool?.stop();
    this.model.dispose();
  }
}

export interface EvalInfo extends Evaluation {
  step: number;
  seconds: number; // training time so far
  loss: number; // mean training loss since the last evaluation
}

/** How often runTraining evaluates and saves unless told otherwise. */
export const DEFAULT_RUN_EVERY = { evalEvery: 500, checkpointEvery: 500 };

export interface RunOptions {
  test?: readonly Problem[]; // evaluated every `evalEvery` steps and at the end
  evalEvery?: number;
  timeBudgetSeconds?: number; // stop when training has taken this long
  /**
   * With a time budget, on a fresh run: measure the steps per second early (during warm-up) and set
   * the total steps so that the cosine decay ends when the budget does (never more than config.steps).
   * The fitted steps are saved with the config, so a resumed run follows the same schedule.
   */
  fitScheduleToBudget?: boolean;
  checkpointPath?: string; // saved every `checkpointEvery` steps, at the end, and when a worker fails
  checkpointEvery?: number;
  checkpointMetadata?: Record<string, string>; // stored with every checkpoint, e.g. which operations were trained
  onStep?: (info: StepInfo) => void;
  onEval?: (info: EvalInfo) => void;
  onScheduleFitted?: (fit: ScheduleFit) => void;
  shouldStop?: () => boolean; // e.g. set by Ctrl-C
}

export interface ScheduleFit {
  totalSteps: number; // the schedule's new length
  stepsPerSecond: number; // as measured
  measuredSteps: number; // over how many steps
}

/**
 * When the fit measures: from step `from` (after the first, slower steps) to step `at`, inside the
 * warm-up where possible, since warm-up steps do not depend on the total. A second fit at the end
 * of a longer warm-up measures the steady speed, which the first steps of a run are below.
 */
function fitWindows(warmupSteps: number): { from: number; at: number }[] {
  const at = Math.min(50, Math.max(10, warmupSteps));
  const windows = [{ from: Math.floor(at / 5), at }];
  if (warmupSteps > at) windows.push({ from: at, at: warmupSteps });
  return windows;
}

/** Trains until the configured steps (or the time budget) are done; returns every evaluation. */
export async function runTraining(trainer: Trainer, options: RunOptions = {}): Promise<EvalInfo[]> {
  const { test, evalEvery = DEFAULT_RUN_EVERY.evalEvery, timeBudgetSeconds = Infinity, checkpointPath, checkpointEvery = DEFAULT_RUN_EVERY.checkpointEvery, checkpointMetadata = {} } = options;
  const fits = options.fitScheduleToBudget && Number.isFinite(timeBudgetSeconds) && trainer.step === 0 ? fitWindows(trainer.config.warmupSteps) : [];
  const mostSteps = trainer.config.steps; // a fitted schedule never runs longer than the configured one
  const evaluations: EvalInfo[] = [];
  await trainer.ready();
  const started = Date.now();
  let evalTime = 0; // evaluations and their onEval callbacks do not count as training time
  let lossSum = 0;
  let lossCount = 0;
  let fitFromSeconds = 0;
  const seconds = () => (Date.now() - started - evalTime) / 1000;
  const evaluateNow = () => {
    if (!test) return;
    const evalStarted = Date.now();
    const result = evaluate(trainer.model, test);
    const info = { ...result, step: trainer.step, seconds: seconds() - (Date.now() - evalStarted) / 1000, loss: lossCount ? lossSum / lossCount : NaN };
    [lossSum, lossCount] = [0, 0];
    evaluations.push(info);
    options.onEval?.(info);
    evalTime += Date.now() - evalStarted; // the callback's time (drawing, analysis) does not count either
  };
  const save = () => checkpointPath && trainer.save(checkpointPath, checkpointMetadata);
  while (trainer.step < trainer.config.steps && seconds() < timeBudgetSeconds && !options.shouldStop?.()) {
    let info: StepInfo;
    try {
      info = await trainer.trainStepAsync();
    } catch (error) {
      if (!(error instanceof WorkerError) || !checkpointPath) throw error;
      save();
      throw new WorkerError(`${error.message} Saved step ${trainer.step} to "${checkpointPath}".`);
    }
    lossSum += info.loss;
    lossCount += 1;
    options.onStep?.(info);
    for (const fit of fits) {
      if (trainer.step === fit.from) fitFromSeconds = seconds();
      if (trainer.step !== fit.at) continue;
      const stepsPerSecond = (fit.at - fit.from) / (seconds() - fitFromSeconds);
      const fitted = Math.max(fit.at + 1, fit.at + Math.floor((timeBudgetSeconds - seconds()) * stepsPerSecond));
      const totalSteps = Math.min(mostSteps, fitted); // a budget longer than the schedule needs ends the run early
      trainer.setTotalSteps(totalSteps);
      options.onScheduleFitted?.({ totalSteps, stepsPerSecond, measuredSteps: fit.at - fit.from });
    }
    if (trainer.step % evalEvery === 0) evaluateNow();
    if (trainer.step % checkpointEvery === 0) save();
    await new Promise((resolve) => setImmediate(resolve)); // lets live plots and Ctrl-C through
  }
  if (evaluations[evaluations.length - 1]?.step !== trainer.step) evaluateNow();
  save();
  return evaluations;
}
