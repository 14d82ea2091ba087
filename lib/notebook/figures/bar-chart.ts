// One bar per label, or groups of bars side by side.
import type { BarTrace, Figure } from "../plot-types";
import { CHART_HEIGHT, baseLayout, escapeLabel, finiteOrNull, plainAxis } from "../plot-style";
import { ChartOptions, valueAxis } from "./value-axis";

// Bar labels: exact counts with thousands separators ("16,384"), up to 6 significant digits.
const BAR_VALUE_FORMAT = ",~r";

export interface BarGroup {
  name: string;
  values: number[];
}

export interface BarChartOptions extends ChartOptions {
  showValues?: boolean; // print each value above its bar; default true
}

/** One bar per label, or groups of bars side by side: [{name: "train", values}, {name: "test", values}]. */
export function barChart(labels: string[], values: number[] | BarGroup[], opts: BarChartOptions = {}): Figure {
  const seen = new Set<string>();
  for (const label of labels) {
    if (seen.has(label)) throw new Error(`barChart: label "${label}" appears twice; bar labels must be unique.`);
    seen.add(label);
  }
  const groups: BarGroup[] = (values as (number | BarGroup)[]).every((v) => typeof v === "number")
    ? [{ name: "", values: values as number[] }]
    : (values as BarGroup[]);
  const x = labels.map(escapeLabel);
  const showValues = opts.showValues ?? true;
  const data = groups.map((group): BarTrace => {
    if (group.values.length !== labels.length) {
      const what = group.name === "" ? "values" : `values in group "${group.name}"`;
      throw new Error(`barChart: got ${group.values.length} ${what} but ${labels.length} labels; expected one value per label.`);
    }
    return {
      type: "bar",
      ...(group.name !== "" && { name: escapeLabel(group.name) }),
      x,
      y: Array.from(group.values, finiteOrNull),
      ...(showValues && { texttemplate: `%{y:${opts.yFormat ?? BAR_VALUE_FORMAT}}`, textposition: "outside" }),
    };
  });
  return {
    data,
    layout: {
      ...baseLayout(opts.title, CHART_HEIGHT),
      showlegend: groups.length > 1,
      ...(groups.length > 1 && { barmode: "group" }),
      xaxis: plainAxis(opts.xTitle),
      yaxis: valueAxis(opts, undefined),
    },
  };
}
