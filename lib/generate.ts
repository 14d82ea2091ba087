// Using a model: greedy generation of an answer, and exact-match evaluation per operation.
import * as tf from "@tensorflow/tfjs";
import { OPERATIONS, Operation, Problem, promptIds } from "./data";
import { Transformer } from "./model";
import { END_ID, PAD_ID, decode, splitWords } from "./vocab";

export const MAX_ANSWER_TOKENS = 3; // two number words and [END]

/** Greedy decoding for a batch of prompts of equal length: appends the most likely token until [END]. */
export function generateIds(model: Transformer, prompts: number[][], maxNewTokens = MAX_ANSWER_TOKENS): number[][] {
  const sequences = prompts.map((p) => p.slice());
  const promptLength = sequences[0].length;
  if (sequences.some((s) => s.length !== promptLength)) throw new Error("generateIds: prompts in one batch must have equal length.");
  const room = model.config.contextLength - promptLength + 1; // the last forward pass sees a full context
  for (let i = 0; i < Math.min(maxNewTokens, room); i++) {
    const next = tf.tidy(() => {
      const { logits } = model.forward(sequences); // [B, T, V]
      const last = promptLength + i - 1; // the position that predicts the next token
      return logits.slice([0, last, 0], [-1, 1, -1]).squeeze([1]).argMax(-1); // [B]
    });
    const nextIds = next.arraySync() as number[];
    next.dispose();
    sequences.forEach((s, b) => s.push(nextIds[b]));
    if (sequences.every((s) => s.slice(promptLength).includes(END_ID))) break;
  }
  return sequences.map((s) => s.slice(promptLength));
}

/**
 * generateIds for prompts of different lengths, stopping each row at [END]: the rows are padded on
 * the right and each is read at its own last token, which causal attention keeps from seeing the
 * padding. One batch instead of one per prompt length: evaluation makes fewer, larger steps.
 */
function generateRagged(model: Transformer, prompts: number[][], maxNewTokens = MAX_ANSWER_TOKENS): number[][] {
  const sequences = prompts.map((p) => p.slice());
  const generated = prompts.map((): number[] => []);
  const active = (b: number) => generated[b].length < maxNewTokens && !generated[b].includes(END_ID) && sequences[b].length < model.config.contextLength;
  for (let rows = sequences.map((_, b) => b).filter(active); rows.length > 0; rows = rows.filter(active)) {
    const T = Math.max(...rows.map((b) => sequences[b].length));
    const padded = rows.map((b) => [...sequences[b], ...new Array<number>(T - sequences[b].length).fill(PAD_ID)]); // [rows, T]
    const best = tf.tidy(() => model.forward(padded).logits.argMax(-1)); // [rows, T]: the likeliest next token everywhere
    const bestIds = best.dataSync();
    best.dispose();
    rows.forEach((b, row) => {
      const next = bestIds[row * T + sequences[b].length - 1];
      sequences[b].push(next);
      generated[b].push(next);
    });
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
    const generated = generateRagged(model, chunk.map((i) => prompts[i]));
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
