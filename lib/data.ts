// The full word calculator: every problem whose operands and result lie in 0..99,
// as token sequences "[START] two plus three = five [END]", split and batched.
import { makeRng, shuffled } from "./random";
import { END_ID, EQUALS_ID, MAX_NUMBER, PAD_ID, START_ID, encode, numberToWords } from "./vocab";

export const OPERATIONS = ["plus", "minus", "times", "divided"] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface Problem {
  a: number;
  op: Operation;
  b: number;
  result: number;
  question: string; // "six times eight"
  answer: string; // "forty eight"
}

const OPERATOR_TEXT: Record<Operation, string> = {
  plus: "plus",
  minus: "minus",
  times: "times",
  divided: "divided by",
};

/** The result of `a op b`, or undefined when it is not a whole number in 0..99. */
export function calculate(a: number, op: Operation, b: number): number | undefined {
  const result = op === "plus" ? a + b : op === "minus" ? a - b : op === "times" ? a * b : b === 0 || a % b !== 0 ? -1 : a / b;
  return result >= 0 && result <= MAX_NUMBER ? result : undefined;
}

export function makeProblem(a: number, op: Operation, b: number): Problem {
  const result = calculate(a, op, b);
  if (result === undefined) {
    throw new Error(`${numberToWords(a)} ${OPERATOR_TEXT[op]} ${numberToWords(b)} has no whole-number answer in 0..${MAX_NUMBER}.`);
  }
  const question = `${numberToWords(a)} ${OPERATOR_TEXT[op]} ${numberToWords(b)}`;
  return { a, op, b, result, question, answer: numberToWords(result) };
}

/** Every problem, in a fixed order: plus, minus (a >= b), times (a*b <= 99), divided (exact, b >= 1). */
export function allProblems(): Problem[] {
  const problems: Problem[] = [];
  for (const op of OPERATIONS) {
    for (let a = 0; a <= MAX_NUMBER; a++) {
      for (let b = 0; b <= MAX_NUMBER; b++) {
        if (calculate(a, op, b) !== undefined) problems.push(makeProblem(a, op, b));
      }
    }
  }
  return problems;
}

export function countByOperation(problems: readonly Problem[]): Record<Operation, number> {
  const counts = { plus: 0, minus: 0, times: 0, divided: 0 };
  for (const p of problems) counts[p.op]++;
  return counts;
}

export interface Split {
  train: Problem[];
  test: Problem[];
}

/** Holds out `testFraction` of every operation (at least one problem each), chosen by `seed`. */
export function splitProblems(problems: readonly Problem[], testFraction = 0.1, seed = 0): Split {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new Error(`testFraction must be between 0 and 1 (exclusive), got ${testFraction}.`);
  }
  const rng = makeRng(seed);
  const split: Split = { train: [], test: [] };
  for (const op of OPERATIONS) {
    const ofOp = shuffled(problems.filter((p) => p.op === op), rng);
    if (ofOp.length === 0) continue;
    const testCount = Math.max(1, Math.round(ofOp.length * testFraction));
    split.test.push(...ofOp.slice(0, testCount));
    split.train.push(...ofOp.slice(testCount));
  }
  return split;
}

/** "[START] question =" as ids: what the model sees before it answers. */
export function promptIds(question: string): number[] {
  return [START_ID, ...encode(question), EQUALS_ID];
}

/** The whole training sequence "[START] question = answer [END]" as ids. */
export function sequenceIds(p: Problem): number[] {
  return [...promptIds(p.question), ...encode(p.answer), END_ID];
}

export interface Batch {
  inputs: number[][]; // [B, T] token ids, padded with PAD_ID
  targets: number[][]; // [B, T] the next token at every position
  lossMask: number[][]; // [B, T] 1 where the target is an answer token or [END], else 0
  problems: Problem[];
}

/** Pads to the longest sequence in the batch (or to `length`), shifting by one for next-token targets. */
export function makeBatch(problems: readonly Problem[], length?: number): Batch {
  if (problems.length === 0) throw new Error("makeBatch: no problems given; expected at least one.");
  const sequences = problems.map(sequenceIds);
  const longest = Math.max(...sequences.map((s) => s.length - 1));
  const T = length ?? longest;
  if (T < longest) throw new Error(`makeBatch: length ${T} is shorter than the longest sequence (${longest} tokens).`);
  const batch: Batch = { inputs: [], targets: [], lossMask: [], problems: problems.slice() };
  for (const seq of sequences) {
    const answerStart = seq.indexOf(EQUALS_ID); // the target after "=" is the first answer word
    const row = (values: number[]) => [...values, ...new Array(T - values.length).fill(PAD_ID)];
    batch.inputs.push(row(seq.slice(0, -1)));
    batch.targets.push(row(seq.slice(1)));
    batch.lossMask.push(row(seq.slice(1).map((_, t) => (t >= answerStart ? 1 : 0))));
  }
  return batch;
}

/** How many times each epoch holds every problem of an operation (1 for those not named). */
export type Repeats = Partial<Record<Operation, number>>;

/**
 * Endless batches. Each epoch visits every problem once (or `repeats[op]` times, to show rare
 * operations more often), in an order fixed by (seed, epoch), so the batch of any step can be
 * rebuilt from the step number alone: a resumed run sees the same batches as an uninterrupted one.
 */
export class BatchSampler {
  private epoch = -1;
  private order: Problem[] = [];
  private readonly pool: Problem[]; // one epoch: every problem, repeated as asked

  constructor(problems: readonly Problem[], private readonly batchSize: number, private readonly seed: number, repeats: Repeats = {}) {
    if (problems.length === 0) throw new Error("BatchSampler: no problems to sample from.");
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new Error(`BatchSampler: batchSize must be a positive whole number, got ${batchSize}.`);
    }
    for (const [op, times] of Object.entries(repeats)) {
      if (!OPERATIONS.includes(op as Operation)) throw new Error(`BatchSampler: unknown operation "${op}" in repeats; expected one of ${OPERATIONS.join(", ")}.`);
      if (!Number.isInteger(times) || times < 1) throw new Error(`BatchSampler: repeats.${op} must be a positive whole number, got ${times}.`);
    }
    this.pool = problems.flatMap((p) => new Array<Problem>(repeats[p.op] ?? 1).fill(p));
  }

  /** The batch for training step `step` (0-based). */
  batchAt(step: number): Batch {
    const chosen: Problem[] = [];
    for (let i = step * this.batchSize; i < (step + 1) * this.batchSize; i++) {
      const epoch = Math.floor(i / this.pool.length);
      if (epoch !== this.epoch) {
        this.order = shuffled(this.pool, makeRng(this.seed * 100003 + epoch));
        this.epoch = epoch;
      }
      chosen.push(this.order[i % this.pool.length]);
    }
    return makeBatch(chosen);
  }
}
