// Reading a trained model's attention by role: how much weight the query at "=" (or at the operation
// word) puts on [START], the first number, the operation, the second number and "=" itself, per head,
// over many problems; which heads specialise in a role; and how that routing grows during training.
import * as tf from "@tensorflow/tfjs";
import { Problem, promptIds } from "./data";
import { generateIds } from "./generate";
import { Transformer } from "./model";
import type { Series } from "./plot";
import { END_ID, VOCAB, numberToWords } from "./vocab";

export const ROLES = ["[START]", "first number", "operation", "second number", "="] as const;
export type Role = (typeof ROLES)[number];
const [START_ROLE, FIRST, OPERATION, SECOND, EQUALS_ROLE] = [0, 1, 2, 3, 4]; // indices into ROLES

/** A head reads a role when it puts at least this share of its weight there. */
export const MAINLY = 0.5;

/** The query whose attention is read: "=" (its output predicts the first answer word) or the first operation word. */
export type Query = "=" | "operation";

export interface HeadRef {
  index: number; // position in the list of every head, layer by layer
  layer: number; // from 0
  head: number; // from 0
  label: string; // "layer 1 · head 2"
}

export interface RoleWeights {
  query: Query;
  heads: HeadRef[]; // every head, layer by layer
  perProblem: number[][][]; // [problem][head][role]: the query's weight on each role, summed over the role's tokens
}

/** The role of every prompt position "[START] a op b =", as an index into ROLES (a number can be two tokens). */
export function promptRoles(p: Problem): number[] {
  const tokens = (n: number) => numberToWords(n).split(" ").length; // 1 or 2
  const operationTokens = p.op === "divided" ? 2 : 1; // "divided by"
  const repeat = (role: number, n: number) => new Array<number>(n).fill(role);
  return [START_ROLE, ...repeat(FIRST, tokens(p.a)), ...repeat(OPERATION, operationTokens), ...repeat(SECOND, tokens(p.b)), EQUALS_ROLE];
}

/** Every head of the model, layer by layer. */
export function headsOf(model: Transformer): HeadRef[] {
  const { numLayers, numHeads } = model.config;
  return Array.from({ length: numLayers * numHeads }, (_, i) => {
    const [layer, head] = [Math.floor(i / numHeads), i % numHeads];
    return { index: i, layer, head, label: `layer ${layer + 1} · head ${head + 1}` };
  });
}

/** One query row of weights [T] summed by role: [role]. */
function sumByRole(weights: number[], roles: number[]): number[] {
  const byRole = ROLES.map(() => 0);
  roles.forEach((role, k) => (byRole[role] += weights[k]));
  return byRole;
}

/** The weight the query at `query` puts on each role, for every head and every problem (one forward pass per prompt length). */
export function roleWeights(model: Transformer, problems: readonly Problem[], query: Query = "="): RoleWeights {
  if (problems.length === 0) throw new Error("roleWeights: no problems given; expected at least one.");
  if (query !== "=" && query !== "operation") throw new Error(`roleWeights: query must be "=" or "operation", got "${query}".`);
  const prompts = problems.map((p) => promptIds(p.question));
  const perProblem: number[][][] = new Array(problems.length);
  for (const length of new Set(prompts.map((p) => p.length))) {
    const indices = problems.map((_, i) => i).filter((i) => prompts[i].length === length);
    const layers = tf.tidy(() => model.forward(indices.map((i) => prompts[i])).attention.map((a) => a.arraySync() as number[][][][])); // [L][B][H][T][T]
    indices.forEach((i, b) => {
      const roles = promptRoles(problems[i]);
      const q = query === "=" ? length - 1 : roles.indexOf(OPERATION);
      perProblem[i] = layers.flatMap((layer) => layer[b].map((weights) => sumByRole(weights[q], roles)));
    });
  }
  return { query, heads: headsOf(model), perProblem };
}

/** The question followed by the model's own answer (without [END]): its tokens and every head's weights [layer][head][query][key]. */
export function attentionOnAnswer(model: Transformer, question: string): { tokens: string[]; grid: number[][][][] } {
  const said = generateIds(model, [promptIds(question)])[0];
  const end = said.indexOf(END_ID);
  const ids = [...promptIds(question), ...(end < 0 ? said : said.slice(0, end))].slice(0, model.config.contextLength);
  const grid = tf.tidy(() => model.forward([ids]).attention.map((layer) => (layer.arraySync() as number[][][][])[0])); // [H, T, T] per layer
  return { tokens: ids.map((id) => VOCAB[id]), grid };
}

/** The mean over problems: [head][role]. */
export function meanByRole(w: RoleWeights): number[][] {
  return w.heads.map((_, h) => ROLES.map((_, r) => w.perProblem.reduce((sum, x) => sum + x[h][r], 0) / w.perProblem.length));
}

export interface Specialist {
  role: Role;
  head: HeadRef; // the head with the largest mean weight on the role
  weight: number; // that mean weight
  reads: boolean; // weight >= MAINLY: the head mainly reads this role
}

/** For the first number, the operation and the second number: the head that puts the most weight on it. */
export function specialists(w: RoleWeights): Specialist[] {
  const mean = meanByRole(w);
  return [FIRST, OPERATION, SECOND].map((role) => {
    const best = mean.reduce((b, byRole, h) => (byRole[role] > mean[b][role] ? h : b), 0);
    const weight = mean[best][role];
    return { role: ROLES[role], head: w.heads[best], weight, reads: weight >= MAINLY };
  });
}

/** Per problem: does some head put at least MAINLY on the first number, and some head on the second? */
export function readsEachOperand(w: RoleWeights): boolean[] {
  const most = (heads: number[][], role: number) => Math.max(...heads.map((byRole) => byRole[role]));
  return w.perProblem.map((heads) => most(heads, FIRST) >= MAINLY && most(heads, SECOND) >= MAINLY);
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

/**
 * What the "=" weights say about the story "a head reads each operand", in plain sentences, with
 * `right[i]` telling whether the model answers problem i correctly. Never calls a model that answers
 * well a failure: where heads do not read the numbers one by one, it says what they do instead.
 */
export function describeOperandReading(w: RoleWeights, right: readonly boolean[], numLayers: number): string[] {
  if (w.query !== "=") throw new Error(`describeOperandReading: expected the weights of the "=" query, got "${w.query}".`);
  if (right.length !== w.perProblem.length) {
    throw new Error(`describeOperandReading: got ${right.length} right/wrong values for ${w.perProblem.length} problems.`);
  }
  const accuracy = (chosen: number[]) => chosen.filter((i) => right[i]).length / chosen.length;
  const all = right.map((_, i) => i);
  const overall = accuracy(all);
  const spread = meanByRole(w);
  const strongest = (role: number) => Math.max(...spread.map((byRole) => byRole[role]));
  const shares = `${pct(strongest(FIRST))} of its weight on the first number on average, ${pct(strongest(OPERATION))} on the operation, ${pct(strongest(SECOND))} on the second number`;
  const means = `the head reading the first number most puts ${pct(strongest(FIRST))} of its weight there on average; ` +
    `for the operation it is ${pct(strongest(OPERATION))}, for the second number ${pct(strongest(SECOND))}`;
  if (w.heads.length < 2) {
    return [
      `This model has a single attention head, so no head can put most of its weight on both numbers: its one head puts ${shares}.`,
      `It answers ${pct(overall)} of these problems right${overall >= 0.8 ? " all the same: one head can bring in both numbers by splitting its weight" : ""}.`,
    ];
  }
  const both = readsEachOperand(w);
  const [withBoth, without] = [all.filter((i) => both[i]), all.filter((i) => !both[i])];
  const share = withBoth.length / all.length;
  const lines = [
    `In ${pct(share)} of the problems, "=" has a head putting at least ${pct(MAINLY)} of its weight on the first number and one doing so on the second.`,
    `Exact match where it does: ${withBoth.length ? pct(accuracy(withBoth)) : "n/a"} of ${withBoth.length}; where it does not: ${without.length ? pct(accuracy(without)) : "n/a"} of ${without.length}.`,
  ];
  if (share >= 0.8) {
    lines.push(`As the story expects: separate heads at "=" read the two numbers.`);
  } else if (overall >= 0.8) {
    const indirect = numLayers > 1 ? " Or it arrives indirectly: after the first layer every position carries what it read, so a later head reading another position also brings in a number." : "";
    lines.push(`The model answers ${pct(overall)} right all the same, so this is not the only way it gathers the numbers: ${means}. ` +
      `A head that splits its weight over both numbers brings in both.${indirect}`);
  } else {
    lines.push(`The model answers only ${pct(overall)} right, so it may not have settled on a way to gather the numbers yet: ${means}.`);
  }
  return lines;
}

/** The mean "=" weights [head][role] at one step of training. */
export interface RoutingSnapshot {
  step: number;
  mean: number[][];
}

export function routingSnapshot(model: Transformer, problems: readonly Problem[], step: number): RoutingSnapshot {
  return { step, mean: meanByRole(roleWeights(model, problems, "=")) };
}

/** One curve per specialist: its mean weight on its role at every snapshot. */
export function routingSeries(snapshots: readonly RoutingSnapshot[], chosen: readonly Specialist[]): Series[] {
  return chosen.map((s) => ({
    name: `${s.head.label} → ${s.role}`,
    x: snapshots.map((snap) => snap.step),
    y: snapshots.map((snap) => snap.mean[s.head.index][ROLES.indexOf(s.role)]),
  }));
}

/**
 * The first snapshot step at which the specialist's weight on its role has come at least half-way
 * from where it started (the first snapshot) to where it ended (the last); undefined if it never moved.
 */
export function halfwayStep(snapshots: readonly RoutingSnapshot[], s: Specialist): number | undefined {
  const weights = snapshots.map((snap) => snap.mean[s.head.index][ROLES.indexOf(s.role)]);
  if (weights.length < 2) return undefined;
  const [start, end] = [weights[0], weights[weights.length - 1]];
  if (Math.abs(end - start) < 1e-6) return undefined;
  const i = weights.findIndex((w) => (w - start) / (end - start) >= 0.5);
  return snapshots[i].step;
}
