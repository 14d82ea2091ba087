// Reading a trained model's attention by role: how much weight the query at "=" (or at the operation
// word) puts on [START], the first number, the operation, the second number and "=" itself, per head,
// over many problems; which heads do which job, per operation; and how that routing grows during training.
import * as tf from "@tensorflow/tfjs";
import { OPERATIONS, Operation, Problem, promptIds, sequenceIds } from "../data";
import { Transformer } from "../model";
import type { Series } from "../notebook/plot";
import { END_ID, VOCAB, numberToWords } from "../vocab";

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

/** The question followed by its correct answer (without [END]): its tokens and every head's weights [layer][head][query][key]. */
export function attentionOnProblem(model: Transformer, p: Problem): { tokens: string[]; grid: number[][][][] } {
  const ids = sequenceIds(p);
  const withoutEnd = ids.slice(0, ids.lastIndexOf(END_ID)).slice(0, model.config.contextLength);
  const grid = tf.tidy(() => model.forward([withoutEnd]).attention.map((layer) => (layer.arraySync() as number[][][][])[0])); // [H, T, T] per layer
  return { tokens: withoutEnd.map((id) => VOCAB[id]), grid };
}

/** The weight the "=" query of `p` puts on `role` in one head of an attentionOnProblem grid (summed over the role's tokens). */
export function weightOnRole(grid: number[][][][], p: Problem, head: HeadRef, role: Role): number {
  const roles = promptRoles(p);
  return sumByRole(grid[head.layer][head.head][roles.length - 1], roles)[ROLES.indexOf(role)];
}

/** The mean over problems (all, or those at the indices `only`): [head][role]. */
export function meanByRole(w: RoleWeights, only?: readonly number[]): number[][] {
  const chosen = only ?? w.perProblem.map((_, i) => i);
  if (chosen.length === 0) throw new Error("meanByRole: no problems chosen; expected at least one.");
  return w.heads.map((_, h) => ROLES.map((_, r) => chosen.reduce((sum, i) => sum + w.perProblem[i][h][r], 0) / chosen.length));
}

/** The roles a head at "=" may gather: first number, operation, second number (indices into ROLES). */
const READ = [FIRST, OPERATION, SECOND];

export interface Specialist {
  role: Role;
  head: HeadRef; // the head with the largest mean weight on the role
  weight: number; // that mean weight
}

/** For the first number, the operation and the second number: the head that puts the most weight on it (over `only`, or all problems). */
export function specialists(w: RoleWeights, only?: readonly number[]): Specialist[] {
  const mean = meanByRole(w, only);
  return READ.map((role) => {
    const best = mean.reduce((b, byRole, h) => (byRole[role] > mean[b][role] ? h : b), 0);
    return { role: ROLES[role], head: w.heads[best], weight: mean[best][role] };
  });
}

/** Mean weight of every head on each role it may gather, per operation: [head][operation x role], with column labels. */
export function jobsByOperation(w: RoleWeights, problems: readonly Problem[]): { columns: string[]; matrix: number[][] } {
  if (problems.length !== w.perProblem.length) throw new Error(`jobsByOperation: ${problems.length} problems for weights of ${w.perProblem.length}.`);
  const short = ["1st number", "operation", "2nd number"];
  const ops = OPERATIONS.filter((op) => problems.some((p) => p.op === op));
  const means = ops.map((op) => meanByRole(w, problems.flatMap((p, i) => (p.op === op ? [i] : []))));
  return {
    columns: ops.flatMap((op) => short.map((role) => `${op} · ${role}`)),
    matrix: w.heads.map((_, h) => means.flatMap((mean) => READ.map((role) => mean[h][role]))),
  };
}

/**
 * The index of the problem of operation `op` whose weights on the gathered roles (every head) are
 * closest to that operation's mean: the one whose attention looks most like the average. Only
 * problems where `right` is true are chosen from, unless there are none.
 */
export function typicalProblem(w: RoleWeights, problems: readonly Problem[], op: Operation, right: readonly boolean[]): number {
  const ofOp = problems.flatMap((p, i) => (p.op === op ? [i] : []));
  if (ofOp.length === 0) throw new Error(`typicalProblem: no "${op}" problems among the ${problems.length} given.`);
  const mean = meanByRole(w, ofOp);
  const distance = (i: number) => w.perProblem[i].reduce((sum, byRole, h) => sum + READ.reduce((d, r) => d + (byRole[r] - mean[h][r]) ** 2, 0), 0);
  const chosen = ofOp.some((i) => right[i]) ? ofOp.filter((i) => right[i]) : ofOp;
  return chosen.reduce((best, i) => (distance(i) < distance(best) ? i : best));
}

/** Per role gathered (first number, operation, second number): for each problem, does some head put at least MAINLY on it? */
export function readersPerProblem(w: RoleWeights): { role: Role; reads: boolean[] }[] {
  return READ.map((role) => ({ role: ROLES[role], reads: w.perProblem.map((heads) => heads.some((byRole) => byRole[role] >= MAINLY)) }));
}

/** Share of the problems in which the "=" query has a head reading each gathered role, at one step of training. */
export interface RoutingSnapshot {
  step: number;
  shares: number[]; // [first number, operation, second number]
}

export function routingSnapshot(model: Transformer, problems: readonly Problem[], step: number): RoutingSnapshot {
  const shares = readersPerProblem(roleWeights(model, problems, "=")).map(({ reads }) => reads.filter(Boolean).length / reads.length);
  return { step, shares };
}

/** One curve per gathered role: the share of problems with a head reading it, at every snapshot. */
export function routingSeries(snapshots: readonly RoutingSnapshot[]): Series[] {
  return READ.map((role, r) => ({
    name: `"=" has a head reading the ${ROLES[role]}`,
    x: snapshots.map((snap) => snap.step),
    y: snapshots.map((snap) => snap.shares[r]),
  }));
}

/**
 * The first step at which `values` (one per step of `steps`) have made half their change from the
 * first to the last: when a curve is halfway to where it ends. Undefined when it ends where it started.
 */
export function halfwayStep(steps: readonly number[], values: readonly number[]): number | undefined {
  if (steps.length !== values.length) throw new Error(`halfwayStep: ${steps.length} steps for ${values.length} values.`);
  const [start, end] = [values[0], values[values.length - 1]];
  if (end === start) return undefined;
  return steps[values.findIndex((v) => (v - start) / (end - start) >= 0.5)];
}
