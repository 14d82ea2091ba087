// Memorising or generalising? Held-out times and divided-by problems sorted by what could help the
// model answer them (a 0/1 rule, or the mirror fact in the training set), beside the facts it trained on.
import { Operation, Problem, makeProblem } from "../data";

/** The 0 and 1 rules: anything times 0 or 1; 0 divided by anything, anything divided by 1 or by itself. */
export function isRule(p: Problem): boolean {
  if (p.op === "times") return Math.min(p.a, p.b) <= 1;
  if (p.op === "divided") return p.a === 0 || p.b === 1 || p.result === 1;
  throw new Error(`isRule: only times and divided have fact rules, got "${p.op}".`);
}

/** "b times a" for "a times b"; "a divided by (a / b)" for "a divided by b"; undefined where that is no other problem. */
export function mirrorQuestion(p: Problem): string | undefined {
  if (p.op === "times") return p.a === p.b ? undefined : makeProblem(p.b, "times", p.a).question;
  if (p.op === "divided") return p.result === 0 || p.result === p.b ? undefined : makeProblem(p.a, "divided", p.result).question;
  throw new Error(`mirrorQuestion: only times and divided have mirror facts, got "${p.op}".`);
}

export interface FactGroups {
  op: Operation;
  rules: Problem[]; // held out, a 0 or 1 rule
  mirrorSeen: Problem[]; // held out, not a rule, its mirror is a training problem
  mirrorUnseen: Problem[]; // held out, not a rule, no mirror in training (held out too, or a square)
  trainingFacts: Problem[]; // training problems that are not rules: what the model has at least memorised
}

/** Sorts the held-out problems of `op` ("times" or "divided") into rules, facts with and without a mirror in training. */
export function factGroups(train: readonly Problem[], test: readonly Problem[], op: "times" | "divided"): FactGroups {
  const trainQuestions = new Set(train.map((p) => p.question));
  const heldOut = test.filter((p) => p.op === op);
  const facts = heldOut.filter((p) => !isRule(p));
  const seen = (p: Problem) => { const m = mirrorQuestion(p); return m !== undefined && trainQuestions.has(m); };
  return {
    op,
    rules: heldOut.filter(isRule),
    mirrorSeen: facts.filter(seen),
    mirrorUnseen: facts.filter((p) => !seen(p)),
    trainingFacts: train.filter((p) => p.op === op && !isRule(p)),
  };
}

/** The groups in table order, each with a label: held-out rules, held-out facts with and without a mirror, training facts. */
export function labelledGroups(g: FactGroups): [string, Problem[]][] {
  return [
    ["held out: a 0 or 1 rule", g.rules],
    ["held out: mirror fact in training", g.mirrorSeen],
    ["held out: no mirror in training", g.mirrorUnseen],
    ["training: not a rule", g.trainingFacts],
  ];
}
