// Using a model: greedy generation of an answer, and exact-match evaluation per operation.
import * as tf from "@tensorflow/tfjs";
import { OPERATIONS, Operation, Problem, promptIds } from "./data";
import { Transformer } from "./model";
import { END_ID, decode, splitWords } from "./vocab";

export const MAX_ANSWER_TOKENS = 3; // two number words and [END]

/** The most likely next token after each of `sequences`, which all have the same length. */
function nextTokens(model: Transformer, sequences: number[][]): number[] {
  const T = sequences[0].length;
  const best = tf.tidy(() => model.forward(sequences).logits.slice([0, T - 1, 0], [-1, 1, -1]).argMax(-1)); // [B, 1]
  const ids = Array.from(best.dataSync());
  best.dispose();
  return ids;
}

/**
 * Greedy decoding: appends the most likely next token to every prompt until [END], `maxNewTokens`
 * tokens, or a full context. Prompts may differ in length: each forward pass takes the rows of one
 * length together (no padding, so this holds with or without the causal mask). Returns the
 * generated ids of every row ([END] included when it came).
 */
export function generateIds(model: Transformer, prompts: number[][], maxNewTokens = MAX_ANSWER_TOKENS): number[][] {
  const sequences = prompts.map((p) => p.slice());
  const generated = prompts.map((): number[] => []);
  // A row goes on while its whole sequence still fits one forward pass (whose last position predicts one more token).
  const active = (b: number) => generated[b].length < maxNewTokens && !generated[b].includes(END_ID) && sequences[b].length <= model.config.contextLength;
  for (let rows = sequences.map((_, b) => b).filter(active); rows.length > 0; rows = rows.filter(active)) {
    const byLength = new Map<number, number[]>(); // current length -> rows
    for (const b of rows) byLength.set(sequences[b].length, [...(byLength.get(sequences[b].length) ?? []), b]);
    for (const group of byLength.values()) {
      const next = nextTokens(model, group.map((b) => sequences[b]));
      group.forEach((b, i) => {
        sequences[b].push(next[i]);
        generated[b].push(next[i]);
      });
    }
  }
  return generated;
}

/** The answer words before [END] (or all of them if [END] never came). */
export function answerText(generated: number[]): string {
  const end = generated.indexOf(END_ID);
  return decode(end < 0 ? generated : generated.slice(0, end));
}

/** "two plus three" -> "five" (or whatever the model says). */
export function answer(model: Transformer, question: string): string {
  if (splitWords(question).length === 0) throw new Error('answer: the prompt is empty; expected a question such as "two plus three".');
  const prompt = promptIds(question);
  if (prompt.length >= model.config.contextLength) {
    throw new Error(`answer: the prompt has ${prompt.length} tokens but the model's context holds ${model.config.contextLength}, leaving no room for an answer.`);
  }
  return answerText(generateIds(model, [prompt])[0]);
}

export interface Evaluation {
  accuracy: number; // exact match over all problems, 0..1
  perOp: Partial<Record<Operation, number>>; // exact match per operation present
  answers: string[]; // the model's answer to each problem, in order
}

/** Exact match of the greedy answer (words and [END]) for every problem. */
export function evaluate(model: Transformer, problems: readonly Problem[], batchSize = 512): Evaluation {
  const answers = new Array<string>(problems.length);
  const correct = new Array<boolean>(problems.length);
  const prompts = problems.map((p) => promptIds(p.question));
  const order = problems.map((_, i) => i).sort((i, j) => prompts[i].length - prompts[j].length); // little padding per batch
  for (let start = 0; start < order.length; start += batchSize) {
    const chunk = order.slice(start, start + batchSize);
    const generated = generateIds(model, chunk.map((i) => prompts[i]));
    chunk.forEach((i, row) => {
      answers[i] = answerText(generated[row]);
      correct[i] = generated[row].includes(END_ID) && answers[i] === problems[i].answer;
    });
  }
  const share = (keep: (i: number) => boolean) => {
    const chosen = problems.map((_, i) => i).filter(keep);
    return chosen.filter((i) => correct[i]).length / chosen.length;
  };
  const perOp: Partial<Record<Operation, number>> = {};
  for (const op of OPERATIONS) {
    if (problems.some((p) => p.op === op)) perOp[op] = share((i) => problems[i].op === op);
  }
  return { accuracy: problems.length ? share(() => true) : 0, perOp, answers };
}
