import { createRequire } from "module";
import * as path from "path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PLOTLY_MIME, describeFigure, formatEntry, livePlot, show, showMatrix, showTable } from "../lib/notebook/display";
import { attentionHeatmap, lineChart } from "../lib/notebook/plot";

// tslab 1.0.22 sends display data through the function the running kernel stores in
// tslab/dist/jupyter `lastWriteDisplayData` (null outside a kernel). Setting it here
// stands in for the kernel, so the tests see exactly what a notebook would receive.
interface DisplayMessage {
  data: Record<string, unknown>;
  transient: { display_id?: string };
}
type WriteDisplayData = ((message: DisplayMessage, update: boolean | undefined) => void) | null;
const tslabJupyter = createRequire(path.join(process.cwd(), "package.json"))("tslab/dist/jupyter") as {
  lastWriteDisplayData: WriteDisplayData;
};

function fakeKernel(): { message: DisplayMessage; update: boolean | undefined }[] {
  const sent: { message: DisplayMessage; update: boolean | undefined }[] = [];
  tslabJupyter.lastWriteDisplayData = (message, update) => sent.push({ message, update });
  return sent;
}

afterEach(() => {
  tslabJupyter.lastWriteDisplayData = null;
  vi.restoreAllMocks();
});

const heat = attentionHeatmap([[1, 0], [0.4, 0.6]], ["two", "two"], ["two", "two"], { title: "weights" });
const loss = (steps: number) =>
  lineChart([{ name: "loss", x: Array.from({ length: steps }, (_, i) => i), y: Array.from({ length: steps }, (_, i) => 1 / (i + 1)) }]);

describe("describeFigure", () => {
  it("names the title and counts traces by type", () => {
    expect(describeFigure(heat)).toBe('plot "weights": 1 heatmap trace');
    const two = lineChart([{ name: "a", x: [0], y: [1] }, { name: "b", x: [0], y: [1] }]);
    expect(describeFigure(two)).toBe("plot (untitled): 2 scatter traces");
  });
});

describe("outside a Jupyter kernel", () => {
  it("show prints a one-line summary instead of throwing", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    expect(() => show(heat)).not.toThrow();
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0][0]).toBe('plot "weights": 1 heatmap trace (not shown: no Jupyter kernel)');
  });

  it("livePlot updates print one line each instead of throwing", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const live = livePlot();
    live.update(loss(1));
    live.update(loss(2));
    expect(log).toHaveBeenCalledTimes(2);
    expect(String(log.mock.calls[1][0])).toMatch(/1 scatter trace \(not shown/);
  });
});

describe("showTable", () => {
  it("prints a markdown table with escaped pipes outside a kernel", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    showTable(["name", "shape"], [["q", "[1, 3, 8]"], ["a|b", 2]]);
    expect(log.mock.calls[0][0]).toBe("| name | shape |\n| --- | --- |\n| q | [1, 3, 8] |\n| a\\|b | 2 |");
  });

  it("rejects a row whose length differs from the headers, naming both", () => {
    expect(() => showTable(["a", "b"], [[1]])).toThrow(/1 cells but there are 2 headers/);
  });
});

describe("inside a kernel", () => {
  it("show sends the figure as an object under the plotly mime type", () => {
    const sent = fakeKernel();
    show(heat);
    expect(sent).toHaveLength(1);
    expect(Boolean(sent[0].update)).toBe(false); // tslab sends undefined for a new output
    expect(Object.keys(sent[0].message.data)).toEqual([PLOTLY_MIME]);
    expect(PLOTLY_MIME).toBe("application/vnd.plotly.v1+json");
    expect(typeof sent[0].message.data[PLOTLY_MIME]).toBe("object"); // a string blanks the notebook
    expect(sent[0].message.data[PLOTLY_MIME]).toEqual(heat);
  });

  it("livePlot draws one output, then replaces it through text so JupyterLab redraws it", () => {
    const sent = fakeKernel();
    const live = livePlot();
    live.update(loss(1));
    live.update(loss(2));
    const id = sent[0].message.transient.display_id;
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(sent.map((s) => [Object.keys(s.message.data)[0], Boolean(s.update), s.message.transient.display_id])).toEqual([
      [PLOTLY_MIME, false, id],
      ["text/plain", true, id],
      [PLOTLY_MIME, true, id],
    ]);
    expect(sent[2].message.data[PLOTLY_MIME]).toEqual(loss(2));
    expect(sent[1].message.data["text/plain"]).toBe(describeFigure(loss(2)));
  });

  it("gives each livePlot its own output", () => {
    const sent = fakeKernel();
    livePlot().update(loss(1));
    livePlot().update(loss(1));
    expect(sent[0].message.transient.display_id).not.toBe(sent[1].message.transient.display_id);
  });

  it("passes on errors other than 'no kernel'", () => {
    tslabJupyter.lastWriteDisplayData = () => {
      throw new Error("socket closed");
    };
    expect(() => show(heat)).toThrow("socket closed");
  });
});

describe("showMatrix", () => {
  it("prints a tensor or nested arrays as a labelled markdown table, rounded, with -inf for masked scores", async () => {
    const tf = await import("@tensorflow/tfjs");
    const sent = fakeKernel();
    const scores = tf.tensor2d([[0.123, -Infinity], [1, NaN]]);
    showMatrix(scores, ["two", "plus"], ["k0", "k1"]);
    scores.dispose();
    showMatrix([[1.23456]], ["a"], ["b"], 3);
    const tables = sent.map((s) => s.message.data["text/markdown"]);
    expect(tables[0]).toBe("|  | k0 | k1 |\n| --- | --- | --- |\n| two | 0.12 | -inf |\n| plus | 1.00 | NaN |");
    expect(tables[1]).toContain("| a | 1.235 |");
  });

  it("rejects labels that do not fit the matrix, and tensors that are not 2-D", async () => {
    const tf = await import("@tensorflow/tfjs");
    expect(() => showMatrix([[1, 2]], ["a", "b"], ["x", "y"])).toThrow(/1 rows but 2 row labels/);
    expect(() => showMatrix([[1, 2]], ["a"], ["x"])).toThrow(/row 0 has 2 entries but there are 1 column labels/);
    const vector = tf.tensor1d([1, 2]);
    expect(() => showMatrix(vector, ["a"], ["x"])).toThrow(/shape \[2\]/);
    vector.dispose();
  });

  it("formats entries: decimals, -inf, inf, NaN", () => {
    expect([formatEntry(-Infinity), formatEntry(Infinity), formatEntry(NaN), formatEntry(2), formatEntry(0.5, 1)]).toEqual(["-inf", "inf", "NaN", "2.00", "0.5"]);
  });
});
