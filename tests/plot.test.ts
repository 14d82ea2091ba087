import { describe, expect, it } from "vitest";
import { logTicks } from "../lib/notebook/figures/ticks";
import {
  Axis, Figure, HeatmapTrace, ScatterTrace, attentionHeatmap, barChart, heatmapDropdown, heatmapGrid, lineChart, lineGrid, matrixHeatmap,
} from "../lib/notebook/plot";

const TOKENS = ["[START]", "two", "plus", "two", "="];
const T = TOKENS.length;

/** A T x T causal attention pattern whose rows sum to 1 and differ by `seed`. */
function weights(seed: number, t = T): number[][] {
  return Array.from({ length: t }, (_, i) => {
    const row = Array.from({ length: t }, (_, j) => (j <= i ? 1 + ((seed + i * 3 + j) % 4) : 0));
    const sum = row.reduce((a, b) => a + b, 0);
    return row.map((v) => v / sum);
  });
}

function heatmap(fig: Figure, i = 0): HeatmapTrace {
  const trace = fig.data[i];
  if (trace.type !== "heatmap") throw new Error(`trace ${i} is ${trace.type}, not a heatmap`);
  return trace;
}

/** The hover text plotly shows for cell [row][col], with %{customdata[k]} and %{z:.3f} filled in. */
function hoverText(trace: HeatmapTrace, row: number, col: number): string {
  return trace.hovertemplate
    .replace(/%\{customdata\[(\d)\]\}/g, (_, k: string) => trace.customdata[row][col][Number(k)])
    .replace("%{z:.3f}", (trace.z[row][col] as number).toFixed(3))
    .replace("<extra></extra>", "");
}

/** Every JSON-able check of a figure: it must survive the trip to the notebook unchanged. */
function roundTrip(fig: Figure): Figure {
  return JSON.parse(JSON.stringify(fig)) as Figure;
}

describe("attentionHeatmap", () => {
  const w = weights(1);
  const fig = attentionHeatmap(w, TOKENS, TOKENS, { title: "two plus two" });
  const trace = heatmap(fig);

  it("keeps repeated tokens on their own rows and columns", () => {
    expect(trace.y).toEqual([0, 1, 2, 3, 4]);
    expect(trace.x).toEqual([0, 1, 2, 3, 4]);
    expect(new Set(trace.y).size).toBe(T);
    expect(fig.layout.yaxis?.tickvals).toEqual(trace.y);
    expect(fig.layout.yaxis?.ticktext).toEqual(TOKENS);
    expect(fig.layout.xaxis?.ticktext).toEqual(TOKENS);
    expect(fig.layout.yaxis?.tickmode).toBe("array");
  });

  it("reads query rows top-down, labels the axes and fixes the colour scale to 0..1", () => {
    expect(fig.layout.yaxis?.autorange).toBe("reversed");
    expect(fig.layout.yaxis?.title?.text).toBe("query");
    expect(fig.layout.xaxis?.title?.text).toBe("key");
    expect(fig.layout.title?.text).toBe("two plus two");
    expect(fig.layout.coloraxis?.cmin).toBe(0);
    expect(fig.layout.coloraxis?.cmax).toBe(1);
    expect(trace.coloraxis).toBe("coloraxis");
    expect(attentionHeatmap(w, TOKENS, TOKENS, { zmax: 0.5 }).layout.coloraxis?.cmax).toBe(0.5);
  });

  it("holds the weights row by row and hovers query, key and weight", () => {
    expect(trace.z).toEqual(w);
    expect(hoverText(trace, 3, 2)).toBe(`query: two<br>key: plus<br>weight: ${w[3][2].toFixed(3)}`);
    expect(hoverText(trace, 0, 0)).toBe("query: [START]<br>key: [START]<br>weight: 1.000");
  });

  it("escapes labels that plotly would read as HTML tags", () => {
    const fig = attentionHeatmap([[1]], ["<eos>"], ["a&b"]);
    expect(fig.layout.yaxis?.ticktext).toEqual(["&lt;eos&gt;"]);
    expect(heatmap(fig).customdata[0][0]).toEqual(["&lt;eos&gt;", "a&amp;b"]);
  });

  it("prints values in small heatmaps only, unless told", () => {
    expect(trace.texttemplate).toBe("%{z:.2f}");
    const big = weights(0, 13);
    const bigTokens = big.map((_, i) => `t${i}`);
    expect(heatmap(attentionHeatmap(big, bigTokens, bigTokens)).texttemplate).toBeUndefined();
    expect(heatmap(attentionHeatmap(w, TOKENS, TOKENS, { showValues: false })).texttemplate).toBeUndefined();
  });

  it("handles rectangular weights: rows follow queries, columns follow keys", () => {
    const fig = attentionHeatmap([[0.5, 0.5, 0]], ["="], ["two", "plus", "two"]);
    expect(heatmap(fig).z).toEqual([[0.5, 0.5, 0]]);
    expect(fig.layout.yaxis?.ticktext).toEqual(["="]);
    expect(fig.layout.xaxis?.ticktext).toEqual(["two", "plus", "two"]);
  });

  it("survives JSON unchanged", () => {
    expect(roundTrip(fig)).toEqual(fig);
  });

  it("rejects a ragged matrix or a label count mismatch, naming the sizes", () => {
    expect(() => attentionHeatmap(w, TOKENS.slice(1), TOKENS)).toThrow(/5 rows but there are 4 query labels/);
    expect(() => attentionHeatmap(w, TOKENS, TOKENS.slice(1))).toThrow(/row 0 of the matrix has 5 values but there are 4 key labels/);
    const ragged = w.map((row, i) => (i === 2 ? row.slice(0, 3) : row));
    expect(() => attentionHeatmap(ragged, TOKENS, TOKENS)).toThrow(/row 2 of the matrix has 3 values but there are 5 key labels/);
    expect(() => attentionHeatmap([], [], [])).toThrow(/0 x 0/);
  });
});

describe("matrixHeatmap", () => {
  it("titles its colour bar with the value's name, and centres a red-blue scale on 0 for values of both signs", () => {
    const signed = matrixHeatmap([[-1, 2]], ["r"], ["a", "b"], { valueName: "entry" }).layout.coloraxis!;
    expect(signed.colorbar.title?.text).toBe("entry");
    expect(signed.cmid).toBe(0);
    expect(signed.colorscale[0][1]).toBe("#b2182b"); // red at the low end
    const positive = matrixHeatmap([[1, 2]], ["r"], ["a", "b"]).layout.coloraxis!;
    expect(positive.cmid).toBeUndefined();
    expect(positive.colorscale[0][1]).toBe("#f7fbff"); // the blues
    expect(matrixHeatmap([[-1, 2]], ["r"], ["a", "b"], { zmin: -1, zmax: 2 }).layout.coloraxis!.cmid).toBeUndefined(); // a range given: as asked
  });

  it("names rows, columns and values as asked and leaves the colour range to the data", () => {
    const fig = matrixHeatmap([[1, -2], [3, 4]], ["a", "b"], ["c", "d"], { rowTitle: "r", colTitle: "c", valueName: "v" });
    const trace = heatmap(fig);
    expect(hoverText(trace, 0, 1)).toBe("r: a<br>c: d<br>v: -2.000");
    expect(fig.layout.coloraxis?.cmin).toBeUndefined();
    expect(fig.layout.coloraxis?.cmax).toBeUndefined();
  });

  it("turns -Infinity (a masked score) and NaN into empty cells that survive JSON", () => {
    const fig = matrixHeatmap([[0.5, -Infinity], [NaN, 2]], ["a", "b"], ["a", "b"]);
    expect(heatmap(fig).z).toEqual([[0.5, null], [null, 2]]);
    expect(heatmap(fig).hoverongaps).toBe(false);
    expect(roundTrip(fig)).toEqual(fig);
  });

  it("uses generic names in its errors", () => {
    expect(() => matrixHeatmap([[1, 2]], ["a", "b"], ["c", "d"])).toThrow(/1 rows but there are 2 row labels/);
  });
});

const LAYERS = 2;
const HEADS = 3;
const GRID = Array.from({ length: LAYERS }, (_, l) => Array.from({ length: HEADS }, (_, h) => weights(l * HEADS + h)));

/** The layout axis object named like a trace's axis reference ("x" -> xaxis, "y4" -> yaxis4). */
function axisOf(fig: Figure, ref: string | undefined): Axis {
  if (ref === undefined) throw new Error("trace has no axis reference");
  const key = `${ref[0]}axis${ref.slice(1)}` as "xaxis" | "yaxis" | `xaxis${number}` | `yaxis${number}`;
  const axis = fig.layout[key];
  if (!axis) throw new Error(`layout has no ${key}`);
  return axis;
}

describe("heatmapGrid", () => {
  const fig = heatmapGrid(GRID, TOKENS, { title: "all heads" });

  it("has one heatmap per layer and head, in layer-major order, with its own axes", () => {
    expect(fig.data).toHaveLength(LAYERS * HEADS);
    expect(heatmap(fig, 4).z).toEqual(GRID[1][1]);
    expect(heatmap(fig, 4).name).toBe("layer 2 · head 2");
    const axisRefs = fig.data.map((_, i) => [heatmap(fig, i).xaxis, heatmap(fig, i).yaxis].join());
    expect(new Set(axisRefs).size).toBe(LAYERS * HEADS);
    expect(axisRefs[0]).toBe("x,y");
    expect(axisRefs[5]).toBe("x6,y6");
  });

  it("titles each panel 'layer L · head H' and places it over its panel", () => {
    const titles = fig.layout.annotations!.map((a) => a.text);
    expect(titles).toEqual([
      "layer 1 · head 1", "layer 1 · head 2", "layer 1 · head 3",
      "layer 2 · head 1", "layer 2 · head 2", "layer 2 · head 3",
    ]);
    fig.data.forEach((_, i) => {
      const x = axisOf(fig, heatmap(fig, i).xaxis).domain!;
      const y = axisOf(fig, heatmap(fig, i).yaxis).domain!;
      expect(fig.layout.annotations![i].x).toBeCloseTo((x[0] + x[1]) / 2);
      expect(fig.layout.annotations![i].y).toBeCloseTo(y[1]);
    });
  });

  it("lays panels out in rows of layers and columns of heads that do not overlap", () => {
    const domains = fig.data.map((_, i) => ({
      x: axisOf(fig, heatmap(fig, i).xaxis).domain!,
      y: axisOf(fig, heatmap(fig, i).yaxis).domain!,
    }));
    expect(domains[0].x[0]).toBeCloseTo(0);
    expect(domains[HEADS - 1].x[1]).toBeCloseTo(1);
    expect(domains[0].y[1]).toBeCloseTo(1);
    expect(domains[LAYERS * HEADS - 1].y[0]).toBeCloseTo(0);
    expect(domains[1].x[0]).toBeGreaterThan(domains[0].x[1]); // head 2 right of head 1
    expect(domains[HEADS].y[1]).toBeLessThan(domains[0].y[0]); // layer 2 below layer 1
    expect(domains[HEADS].x).toEqual(domains[0].x); // same column
  });

  it("shares one 0..1 colour scale and reads every panel top-down", () => {
    expect(fig.data.every((t) => t.type === "heatmap" && t.coloraxis === "coloraxis")).toBe(true);
    expect(fig.layout.coloraxis?.cmin).toBe(0);
    expect(fig.layout.coloraxis?.cmax).toBe(1);
    fig.data.forEach((_, i) => expect(axisOf(fig, heatmap(fig, i).yaxis).autorange).toBe("reversed"));
  });

  it("labels tokens on the first column and the bottom row only", () => {
    expect(axisOf(fig, "y").showticklabels).toBe(true);
    expect(axisOf(fig, "y2").showticklabels).toBe(false);
    expect(axisOf(fig, "x").showticklabels).toBe(false);
    expect(axisOf(fig, "x4").showticklabels).toBe(true);
    expect(axisOf(fig, "x4").ticktext).toEqual(TOKENS);
  });

  it("survives JSON unchanged", () => {
    expect(roundTrip(fig)).toEqual(fig);
  });

  it("rejects ragged grids and wrong matrix sizes, naming layer, head and sizes", () => {
    expect(() => heatmapGrid([], TOKENS)).toThrow(/at least one layer and head/);
    expect(() => heatmapGrid([GRID[0], GRID[1].slice(1)], TOKENS)).toThrow(/layer 2 has 2 heads; expected 3/);
    const short = GRID.map((layer, l) => layer.map((w, h) => (l === 1 && h === 2 ? w.slice(1) : w)));
    expect(() => heatmapGrid(short, TOKENS)).toThrow(/layer 2 · head 3 has 4 rows but there are 5 tokens/);
    expect(() => heatmapGrid(GRID, TOKENS.slice(1))).toThrow(/layer 1 · head 1 has 5 rows but there are 4 tokens/);
  });
});

describe("heatmapDropdown", () => {
  const fig = heatmapDropdown(GRID, TOKENS, { title: "trained model" });
  const menu = fig.layout.updatemenus![0];

  it("holds every head but shows only the first", () => {
    expect(fig.data).toHaveLength(LAYERS * HEADS);
    expect(fig.data.map((t) => t.type === "heatmap" && t.visible)).toEqual([true, false, false, false, false, false]);
    expect(heatmap(fig, 5).z).toEqual(GRID[1][2]);
  });

  it("has one dropdown button per layer and head that shows exactly that head", () => {
    expect(menu.type).toBe("dropdown");
    expect(menu.buttons.map((b) => b.label)).toEqual([
      "layer 1 · head 1", "layer 1 · head 2", "layer 1 · head 3",
      "layer 2 · head 1", "layer 2 · head 2", "layer 2 · head 3",
    ]);
    menu.buttons.forEach((button, i) => {
      expect(button.method).toBe("restyle");
      expect(button.args[0].visible).toEqual(fig.data.map((_, j) => j === i));
      expect(heatmap(fig, i).name).toBe(button.label);
    });
  });

  it("keeps the single-heatmap look: labelled axes, rows top-down, 0..1 scale", () => {
    expect(fig.layout.yaxis?.autorange).toBe("reversed");
    expect(fig.layout.yaxis?.ticktext).toEqual(TOKENS);
    expect(fig.layout.xaxis?.title?.text).toBe("key");
    expect(fig.layout.coloraxis?.cmax).toBe(1);
    expect(hoverText(heatmap(fig, 4), 3, 2)).toBe(`query: two<br>key: plus<br>weight: ${GRID[1][1][3][2].toFixed(3)}`);
  });

  it("rejects wrong sizes like heatmapGrid, under its own name", () => {
    expect(() => heatmapDropdown(GRID, TOKENS.slice(2))).toThrow(/heatmapDropdown: layer 1 · head 1 has 5 rows but there are 3 tokens/);
  });
});

describe("long titles", () => {
  it("break between words after 90 characters, and the figure makes room for each extra line", () => {
    const long = "UNDER-TRAINED (38.1% held out) · Attention on \"[START] twenty three plus thirty two = fifty five\" (the question and its correct answer)";
    const fig = lineChart([{ name: "loss", x: [0, 1], y: [2, 1] }], { title: long });
    const lines = fig.layout.title!.text.split("<br>");
    expect(lines).toHaveLength(2);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(90);
    expect(lines.join(" ")).toBe(long);
    expect(fig.layout.margin!.t).toBe(lineChart([{ name: "loss", x: [0, 1], y: [2, 1] }], { title: "short" }).layout.margin!.t! + 20);
  });
});

describe("lineGrid", () => {
  const panel = (title: string, y: number[]) => ({ title, series: [{ name: title, x: [100, 200, 300], y }] });
  const fig = lineGrid([panel("course", [4, 1, 0.1]), ...["a", "b", "c", "d"].map((t) => ({ ...panel(t, [3, 2, 1]), series: [...panel(t, [3, 2, 1]).series, panel("course", [4, 1, 0.1]).series[0]] }))], {
    xTitle: "step", yTitle: "loss", logY: true, columns: 3,
  });

  it("puts one panel per title in rows of `columns`, top-down, each with its own axes", () => {
    expect(fig.layout.annotations?.map((note) => note.text)).toEqual(["course", "a", "b", "c", "d"]);
    const tops = [fig.layout.yaxis, fig.layout.yaxis2, fig.layout.yaxis3, fig.layout.yaxis4].map((axis) => axis!.domain![1]);
    expect(tops[0]).toBe(1);
    expect(tops[1]).toBe(tops[0]);
    expect(tops[3]).toBeLessThan(tops[0]); // the fourth panel starts the second row
    expect(fig.layout.xaxis2?.anchor).toBe("y2");
  });

  it("shares one y range, titles only the bottom row's x axes and the first column's y axes", () => {
    const ranges = [fig.layout.yaxis, fig.layout.yaxis3, fig.layout.yaxis5].map((axis) => axis!.range);
    expect(new Set(ranges.map(String)).size).toBe(1);
    expect(ranges[0]).toEqual([Math.log10(0.1), Math.log10(4)]);
    expect(fig.layout.xaxis?.title).toBeUndefined(); // a panel below it
    expect(fig.layout.xaxis3?.title?.text).toBe("step"); // nothing below it
    expect(fig.layout.yaxis4?.title?.text).toBe("loss");
    expect(fig.layout.yaxis2?.title).toBeUndefined();
  });

  it("draws references in grey before each panel's own curve, and names an empty grid", () => {
    const traces = fig.data as ScatterTrace[];
    expect(traces.slice(0, 4).every((t) => t.line?.dash === "dot")).toBe(true);
    expect(traces.slice(4).map((t) => t.name)).toEqual(["course", "a", "b", "c", "d"]);
    expect(() => lineGrid([])).toThrow(/at least one series/);
    expect(() => lineGrid([panel("x", [1, 2, 3])], { columns: 0 })).toThrow("columns must be a whole number >= 1, got 0.");
  });
});

describe("lineChart", () => {
  const fig = lineChart(
    [
      { name: "train", x: [0, 10, 20], y: [3, 1.5, NaN] },
      { name: "test", x: [0, 20], y: [3.2, 1] },
    ],
    { title: "loss", xTitle: "step", yTitle: "cross-entropy", yRange: [0, 4] },
  );

  it("draws one line per series with titles, a legend and the y range", () => {
    expect(fig.data.map((t) => t.type)).toEqual(["scatter", "scatter"]);
    expect(fig.data.map((t) => t.name)).toEqual(["train", "test"]);
    expect(fig.layout.xaxis?.title?.text).toBe("step");
    expect(fig.layout.yaxis?.title?.text).toBe("cross-entropy");
    expect(fig.layout.yaxis?.range).toEqual([0, 4]);
    expect(fig.layout.yaxis?.type).toBeUndefined();
    expect(fig.layout.showlegend).toBe(true);
    expect(lineChart([{ name: "loss", x: [0], y: [1] }]).layout.showlegend).toBe(false);
  });

  it("leaves a gap for NaN instead of breaking JSON", () => {
    expect(fig.data[0].y).toEqual([3, 1.5, null]);
    expect(roundTrip(fig)).toEqual(fig);
  });

  it("marks the points of short curves only, so a one-point curve is visible", () => {
    expect(lineChart([{ name: "loss", x: [0], y: [1] }]).data[0]).toMatchObject({ mode: "lines+markers" });
    const long = Array.from({ length: 100 }, (_, i) => i);
    expect(lineChart([{ name: "loss", x: long, y: long }]).data[0]).toMatchObject({ mode: "lines" });
  });

  it("dashes the series past plotly's 10 colours, so no two series look alike", () => {
    const many = lineChart(Array.from({ length: 12 }, (_, i) => ({ name: `v${i}`, x: [0, 1], y: [1, 2] })));
    expect(many.data.slice(0, 10).every((trace) => !("line" in trace))).toBe(true);
    expect(many.data.slice(10).map((trace) => (trace as { line?: { dash: string } }).line?.dash)).toEqual(["dash", "dash"]);
  });

  it("puts a log axis range in log10 units and rejects a range that touches 0", () => {
    const log = lineChart([{ name: "loss", x: [0, 1], y: [10, 0.1] }], { logY: true, yRange: [0.01, 100] });
    expect(log.layout.yaxis?.type).toBe("log");
    expect(log.layout.yaxis?.range).toEqual([-2, 2]);
    expect(() => lineChart([{ name: "loss", x: [0], y: [1] }], { logY: true, yRange: [0, 1] })).toThrow(/above 0/);
  });

  it("draws a log x axis on request and rejects x values it cannot show", () => {
    const loglog = lineChart([{ name: "time", x: [16, 32, 64], y: [1, 2, 8] }], { logX: true, logY: true, xTitle: "T" });
    expect(loglog.layout.xaxis).toMatchObject({ type: "log", tickformat: ",~g", title: { text: "T" } });
    expect(loglog.layout.xaxis?.tickvals).toEqual([16, 32, 64]); // few, well-apart values are their own ticks
    expect(loglog.layout.yaxis?.type).toBe("log");
    expect(fig.layout.xaxis?.type).toBeUndefined();
    expect(() => lineChart([{ name: "time", x: [0, 16], y: [1, 2] }], { logX: true })).toThrow(/"time" has an x value <= 0/);
  });

  it("formats y with a d3 format, e.g. percent for accuracy", () => {
    const acc = lineChart([{ name: "accuracy", x: [0, 1], y: [0.5, 0.9] }], { yFormat: ".0%" });
    expect(acc.layout.yaxis?.tickformat).toBe(".0%");
    expect(acc.layout.yaxis?.hoverformat).toBe(".0%");
  });

  it("rejects no series and x/y length mismatches, naming the series and sizes", () => {
    expect(() => lineChart([])).toThrow(/no series/);
    expect(() => lineChart([{ name: "train", x: [0, 1, 2], y: [1, 2] }])).toThrow(/"train" has 3 x values but 2 y values/);
  });
});

describe("barChart", () => {
  it("draws one bar per label with its value printed above", () => {
    const fig = barChart(["embed", "attention", "mlp"], [1234, 16384, 32768], { title: "parameters", yTitle: "count" });
    expect(fig.data).toHaveLength(1);
    expect(fig.data[0]).toMatchObject({ type: "bar", x: ["embed", "attention", "mlp"], y: [1234, 16384, 32768] });
    expect(fig.data[0]).toMatchObject({ texttemplate: "%{y:,~r}", textposition: "outside" });
    expect(fig.layout.showlegend).toBe(false);
    expect(fig.layout.barmode).toBeUndefined();
    expect(fig.layout.yaxis?.title?.text).toBe("count");
  });

  it("groups named series side by side with a legend", () => {
    const fig = barChart(["plus", "minus"], [{ name: "train", values: [0.99, 0.9] }, { name: "test", values: [0.97, 0.8] }], {
      yFormat: ".0%",
      yRange: [0, 1],
    });
    expect(fig.data.map((t) => t.name)).toEqual(["train", "test"]);
    expect(fig.data[1].y).toEqual([0.97, 0.8]);
    expect(fig.layout.barmode).toBe("group");
    expect(fig.layout.showlegend).toBe(true);
    expect(fig.layout.yaxis?.tickformat).toBe(".0%");
    expect(fig.data[0]).toMatchObject({ texttemplate: "%{y:.0%}" });
    expect(fig.layout.yaxis?.range).toEqual([0, 1]);
  });

  it("can leave the values off", () => {
    expect(barChart(["a"], [1], { showValues: false }).data[0]).not.toHaveProperty("texttemplate");
  });

  it("rejects repeated labels and value count mismatches, naming them", () => {
    expect(() => barChart(["plus", "plus"], [1, 2])).toThrow(/"plus" appears twice/);
    expect(() => barChart(["a", "b"], [1])).toThrow(/got 1 values but 2 labels/);
    expect(() => barChart(["a", "b"], [{ name: "test", values: [1, 2, 3] }])).toThrow(/3 values in group "test" but 2 labels/);
  });
});

describe("figure defaults", () => {
  it("gives every figure a compact height, margins and a white background", () => {
    const figs = [
      attentionHeatmap(weights(0), TOKENS, TOKENS),
      lineChart([{ name: "loss", x: [0], y: [1] }]),
      barChart(["a"], [1]),
    ];
    for (const fig of figs) {
      expect(fig.layout.height).toBeGreaterThanOrEqual(300);
      expect(fig.layout.height).toBeLessThanOrEqual(460);
      expect(fig.layout.margin.t).toBeGreaterThan(0);
      expect(fig.layout.paper_bgcolor).toBe("white");
    }
  });

  it("writes titles as {text} objects, which plotly.js 3 and later require", () => {
    const fig = lineChart([{ name: "loss", x: [0], y: [1] }], { title: "t", xTitle: "x", yTitle: "y" });
    expect(fig.layout.title).toEqual({ text: "t" });
    expect(fig.layout.xaxis?.title).toEqual({ text: "x" });
    expect(lineChart([{ name: "loss", x: [0], y: [1] }]).layout).not.toHaveProperty("title");
  });
});

describe("heatmapGrid with a single layer", () => {
  it("titles the panels 'head H', short enough for 8 narrow panels in a row", () => {
    const fig = heatmapGrid([GRID[0]], TOKENS);
    expect(fig.layout.annotations!.map((a) => a.text)).toEqual(["head 1", "head 2", "head 3"]);
    expect(heatmap(fig, 2).name).toBe("layer 1 · head 3"); // hover names still say the layer
  });
});

// ---------------------------------------------------------------- readable at 1,440 px

/** Width in px of a tick label at the 12 px font (Helvetica/Arial average 0.6 em a character). */
const labelWidth = (text: string) => text.length * 0.6 * 12;
/** How d3's ",~g" prints a tick: 2048 -> "2,048", 0.05 -> "0.05". */
const tickText = (v: number) => v.toLocaleString("en-US", { maximumSignificantDigits: 6 });

/** Pixel gaps between neighbouring ticks' labels on a log axis `px` long spanning the ticks. */
function logLabelGaps(ticks: number[], px: number): number[] {
  const lo = Math.log10(ticks[0]);
  const hi = Math.log10(ticks[ticks.length - 1]);
  const at = (v: number) => ((Math.log10(v) - lo) / (hi - lo)) * px;
  return ticks.slice(1).map((v, i) => at(v) - at(ticks[i]) - (labelWidth(tickText(v)) + labelWidth(tickText(ticks[i]))) / 2);
}

describe("log axes", () => {
  // Notebook 8's timings span less than a decade at short lengths: plotly's own ticks there were
  // 500, 600, 700, 800, 900, printed into one another as "5006007080090".
  const cases: [string, number[]][] = [
    ["less than a decade", [512, 560, 640, 730, 810, 905]],
    ["a few decades", [0.8, 3, 12, 60, 250, 1300, 4100]],
    ["many decades", [1e-4, 1e-2, 1, 100, 1e4, 1e6]],
    ["doublings", [16, 32, 64, 128, 256, 512, 1024, 2048]],
  ];
  for (const [name, values] of cases) {
    it(`puts 2 to 12 labels that do not overlap on a 400 px axis: ${name}`, () => {
      const fig = lineChart([{ name: "time", x: values, y: values }], { logX: true, logY: true });
      for (const axis of [fig.layout.xaxis!, fig.layout.yaxis!]) {
        expect(axis.tickmode).toBe("array");
        const ticks = axis.tickvals!;
        expect(ticks.length).toBeGreaterThanOrEqual(2);
        expect(ticks.length).toBeLessThanOrEqual(12);
        expect(Math.min(...ticks)).toBeGreaterThanOrEqual(Math.min(...values));
        expect(Math.max(...ticks)).toBeLessThanOrEqual(Math.max(...values));
        for (const gap of logLabelGaps(ticks, 400)) expect(gap).toBeGreaterThan(4);
      }
    });
  }

  it("takes its ticks from the y range when one is given", () => {
    const fig = lineChart([{ name: "loss", x: [0, 1], y: [3, 0.3] }], { logY: true, yRange: [0.1, 10] });
    expect(fig.layout.yaxis?.tickvals).toEqual([0.1, 1, 10]);
    const short = lineChart([{ name: "loss", x: [0, 1], y: [3, 0.3] }], { logY: true, yRange: [0.2, 4] });
    expect(short.layout.yaxis?.tickvals).toEqual([0.2, 0.5, 1, 2, 4]); // 4, far above 2, gets its own tick
  });

  it("labels an end of the data that lies far beyond the last round tick", () => {
    expect(logTicks([0.04, 0.12, 0.33], false)).toEqual([0.05, 0.1, 0.2, 0.33]);
    expect(logTicks([0.1, 0.25], false)).toEqual([0.1, 0.15, 0.2]); // 0.25 is close to 0.2: no tick of its own
  });
});

describe("training-step axes", () => {
  it("tick whole steps only, also for a curve of one or two points", () => {
    for (const x of [[250], [0, 1], [0, 1, 2], [0, 250, 500, 750, 1000], [0, 5000]]) {
      const axis = lineChart([{ name: "accuracy", x, y: x.map(() => 0.5) }]).layout.xaxis!;
      expect(axis.tickmode).toBe("linear");
      expect(axis.tick0).toBe(0);
      expect(Number.isInteger(axis.dtick)).toBe(true);
      expect(axis.dtick).toBeGreaterThanOrEqual(1);
      const span = Math.max(...x) - Math.min(...x);
      expect(span / axis.dtick!).toBeLessThanOrEqual(10); // not crowded
    }
  });

  it("leave fractional x (seconds, ratios) to plotly", () => {
    const axis = lineChart([{ name: "loss", x: [0.5, 1.5], y: [1, 2] }]).layout.xaxis!;
    expect(axis.tickmode).toBeUndefined();
    expect(axis.dtick).toBeUndefined();
  });
});

describe("heatmapGrid with many heads", () => {
  for (const [layers, heads] of [[1, 8], [2, 8], [1, 16], [2, 6]]) {
    it(`wraps ${layers} x ${heads} heads onto rows of at most 4 readable panels`, () => {
      const grid = Array.from({ length: layers }, (_, l) => Array.from({ length: heads }, (_, h) => weights(l + h)));
      const fig = heatmapGrid(grid, TOKENS);
      // The figure spreads over the output width: 1,008 px in JupyterLab at 1,440 px with the file browser open.
      const plotWidth = 1008 - fig.layout.margin.l - fig.layout.margin.r;
      const plotHeight = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b;
      // Each panel is its domain box shrunk to a square in its middle (scaleanchor, constrain: "domain").
      const boxes = fig.data.map((_, i) => {
        const xAxis = axisOf(fig, heatmap(fig, i).xaxis);
        const yAxis = axisOf(fig, heatmap(fig, i).yaxis);
        expect(yAxis.scaleanchor).toBe(heatmap(fig, i).xaxis);
        expect([xAxis.constrain, yAxis.constrain]).toEqual(["domain", "domain"]);
        const [x0, x1] = xAxis.domain!.map((d) => d * plotWidth);
        const [y0, y1] = yAxis.domain!.map((d) => d * plotHeight);
        const side = Math.min(x1 - x0, y1 - y0);
        const middle = (x0 + x1) / 2;
        return { left: middle - side / 2, right: middle + side / 2, bottom: y1 - side, top: y1 };
      });
      expect(fig.layout.width).toBeUndefined();
      const columns = new Set(boxes.map((b) => b.left.toFixed(3)));
      expect(columns.size).toBe(Math.min(heads, 4));
      const rowTops = new Set(boxes.map((b) => b.top.toFixed(3)));
      expect(rowTops.size).toBe(layers * Math.ceil(heads / 4));
      boxes.forEach((a, i) => {
        // at least 12 px a token, so tick labels do not overlap
        expect((a.right - a.left) / TOKENS.length).toBeGreaterThanOrEqual(12);
        // each panel's title fits above it and panels do not overlap, title rows included
        expect(labelWidth(fig.layout.annotations![i].text)).toBeLessThan(a.right - a.left + 16);
        boxes.forEach((b, j) => {
          if (i === j) return;
          const apartX = a.right <= b.left || b.right <= a.left;
          const apartY = a.top + 20 <= b.bottom || b.top + 20 <= a.bottom;
          expect(apartX || apartY).toBe(true);
        });
      });
      // tokens are labelled once per column, on the lowest panel, and once per row, on the first
      const firstLeft = Math.min(...boxes.map((b) => b.left));
      fig.data.forEach((_, i) => {
        const below = boxes.some((b, j) => j !== i && Math.abs(b.left - boxes[i].left) < 1e-6 && b.top < boxes[i].bottom);
        expect(axisOf(fig, heatmap(fig, i).xaxis).showticklabels).toBe(!below);
        expect(axisOf(fig, heatmap(fig, i).yaxis).showticklabels).toBe(Math.abs(boxes[i].left - firstLeft) < 1e-6);
      });
    });
  }
});

describe("heatmapGrid values in the cells", () => {
  const grid = (t: number) => [Array.from({ length: 4 }, (_, h) => weights(h, t))];
  const tokens = (t: number) => Array.from({ length: t }, (_, i) => `w${i}`);

  it("prints each weight up to the course's 7-token sequences, in cells of at least 24 px with 4 panels a row", () => {
    const fig = heatmapGrid(grid(7), tokens(7));
    expect(heatmap(fig).texttemplate).toBe("%{z:.2f}");
    // as in "wraps ... readable panels": 1,008 px of output, each panel the square in its domain box
    const plotWidth = 1008 - fig.layout.margin.l - fig.layout.margin.r;
    const plotHeight = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b;
    const [x0, x1] = axisOf(fig, "x").domain!;
    const [y0, y1] = axisOf(fig, "y").domain!;
    expect(Math.min((x1 - x0) * plotWidth, (y1 - y0) * plotHeight) / 7).toBeGreaterThanOrEqual(24);
  });

  it("leaves longer sequences without numbers", () => {
    expect(heatmap(heatmapGrid(grid(8), tokens(8))).texttemplate).toBeUndefined();
  });
});

describe("figures saved and reopened in JupyterLab", () => {
  // JupyterLab's plotly renderer stores a PNG of each figure, drawn at the full output width, and
  // shows it when the notebook is reopened: a fixed-width figure would come back stretched.
  const figs: [string, Figure][] = [
    ["attentionHeatmap", attentionHeatmap(weights(0), TOKENS, TOKENS, { title: "t" })],
    ["matrixHeatmap", matrixHeatmap([[1, 2, 3]], ["a"], ["x", "y", "z"])],
    ["heatmapDropdown", heatmapDropdown(GRID, TOKENS)],
    ["heatmapGrid", heatmapGrid(GRID, TOKENS)],
    ["lineChart", lineChart([{ name: "loss", x: [0], y: [1] }])],
    ["barChart", barChart(["a"], [1])],
  ];
  for (const [name, fig] of figs) {
    it(`${name} has no fixed width, so its snapshot is drawn at the shape it is shown`, () => {
      expect(fig.layout.width).toBeUndefined();
    });
  }

  it("single heatmaps keep square cells at any width, with the heatmap at the left", () => {
    for (const [, fig] of figs.slice(0, 3)) {
      expect(fig.layout.yaxis).toMatchObject({ scaleanchor: "x", constrain: "domain", autorange: "reversed" });
      expect(fig.layout.xaxis).toMatchObject({ constrain: "domain", constraintoward: "left" });
      expect(fig.layout.coloraxis?.colorbar).toMatchObject({ orientation: "h", x: 0, xanchor: "left", lenmode: "pixels" });
    }
  });
});
