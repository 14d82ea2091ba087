// The kernel says busy for as long as a cell runs, awaited work included (scripts/kernel-requests.cjs):
// tests/kernel_status.py runs a cell that awaits 3 s and meanwhile sends the requests JupyterLab and its
// server send on opening a notebook, then reports every message the kernel sent back, in order.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { COURSE_METADATA } from "../scripts/clean-notebooks.mjs";
import { ROOT, VENV_PYTHON, jupyterEnv } from "../scripts/jupyter-env.mjs";

interface Message {
  channel: "iopub" | "shell" | "control";
  type: string;
  state: string | null;
  text: string | null;
  request: string;
}
interface Report {
  timeline: Message[];
  language_info: Record<string, unknown>;
  unanswered: string[];
  never_idle: string[];
}

describe("the kernel's status while a cell awaits and other requests arrive", () => {
  let report: Report;
  beforeAll(() => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "kernel-status-")), "report.json");
    const run = spawnSync(VENV_PYTHON, [path.join(ROOT, "tests", "kernel_status.py"), file], { cwd: ROOT, env: jupyterEnv(), encoding: "utf8" });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    report = JSON.parse(fs.readFileSync(file, "utf8"));
    fs.rmSync(path.dirname(file), { recursive: true });
  }, 120_000);

  const describeTimeline = () => report.timeline.map((m) => `${m.channel} ${m.type} ${m.state ?? m.text?.trim() ?? ""} (${m.request})`).join("\n");
  const index = (find: (m: Message) => boolean) => report.timeline.findIndex(find);

  test("no idle status before the cell's reply, and the cell's output comes first", () => {
    const reply = index((m) => m.type === "execute_reply");
    const output = index((m) => m.text === "cell finished\n");
    const firstIdle = index((m) => m.state === "idle");
    expect(reply, describeTimeline()).toBeGreaterThan(-1);
    expect(output, describeTimeline()).toBeGreaterThan(-1);
    expect(firstIdle, describeTimeline()).toBeGreaterThan(reply);
    expect(firstIdle, describeTimeline()).toBeGreaterThan(output); // the same socket: no timing involved
    expect(report.timeline.find((m) => m.channel === "iopub"), describeTimeline()).toMatchObject({ state: "busy", request: "execute_request" });
  });

  test("every request is answered and ends with its idle status; history gets an empty history", () => {
    expect(report.unanswered, describeTimeline()).toEqual([]);
    expect(report.never_idle, describeTimeline()).toEqual([]);
    const history = report.timeline.find((m) => m.type === "history_reply");
    expect(history?.request).toBe("history_request");
    expect(report.timeline.filter((m) => m.text?.includes("unknown msg_type")), "tslab's warning").toEqual([]);
  });

  test("its language_info is the one npm run clean writes into the notebooks (else JupyterLab marks them modified on opening)", () => {
    expect(report.language_info).toEqual(COURSE_METADATA.language_info);
  });
});
