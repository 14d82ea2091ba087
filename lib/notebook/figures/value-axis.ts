// The y axis of line and bar charts: title, range and number format as the caller asks.
import type { Axis } from "../plot-types";
import { plainAxis } from "../plot-style";
import { logAxisTicks } from "./ticks";

export interface ChartOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  yRange?: [number, number]; // in data units, also on a log axis
  yFormat?: string; // d3 format for y ticks, hover and bar labels, e.g. ".0%" for accuracy
}

/** A linear y axis, or a log one with readable ticks over `logValues` (and the range, if given). */
export function valueAxis(opts: ChartOptions, logValues: number[] | undefined): Axis {
  const yRange = opts.yRange && (logValues ? opts.yRange.map(Math.log10) : opts.yRange);
  const tickSource = logValues && (opts.yRange ? [...opts.yRange] : logValues);
  return {
    ...plainAxis(opts.yTitle),
    ...(tickSource && logAxisTicks(tickSource, false, opts.yFormat)),
    ...(yRange && { range: [yRange[0], yRange[1]] }),
    ...(opts.yFormat !== undefined && { tickformat: opts.yFormat, hoverformat: opts.yFormat }),
  };
}
