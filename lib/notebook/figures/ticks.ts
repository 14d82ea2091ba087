// Tick positions chosen by lib rather than by plotly, where plotly's own choice is hard to read:
// on a log axis spanning less than a decade plotly labels 500, 600, 700, 800, 900 so close
// together that they run into one another ("5006007080090"), and on a training-step axis it
// puts ticks at half steps (250.5) when the curve is short.
import type { Axis } from "../plot-types";

/** Mantissas tried for log ticks, coarsest first: 1-2-5 per decade, then finer. */
const LOG_MANTISSAS: number[][] = [[1], [1, 2, 5], [1, 1.5, 2, 3, 5, 7]];
const MIN_LOG_TICKS = 3;
const MAX_LOG_TICKS = 8;
/** Data values themselves become the ticks when there are this few and each is at least this ratio above the last. */
const MAX_DATA_TICKS = 12;
const MIN_DATA_TICK_RATIO = 1.5;
const TARGET_LINEAR_TICKS = 6;

function decadeTicks(min: number, max: number, mantissas: number[]): number[] {
  const ticks: number[] = [];
  for (let exp = Math.floor(Math.log10(min)); exp <= Math.ceil(Math.log10(max)); exp++) {
    for (const m of mantissas) {
      const value = Number((m * 10 ** exp).toPrecision(12)); // 0.1 * 3 is 0.30000000000000004
      if (value >= min && value <= max) ticks.push(value);
    }
  }
  return ticks;
}

/** Evenly spaced round numbers inside [min, max], for a log axis spanning too little for decade ticks. */
function linearTicks(min: number, max: number): number[] {
  const step = niceStep((max - min) / (MIN_LOG_TICKS + 1));
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/**
 * Ticks for a log axis over positive `values`. With `dataTicks`, the values themselves when they
 * are few and well apart (T = 16, 32, ..., 2048). Otherwise round numbers: 1-2-5 per decade or
 * coarser, as few as give at least 3 ticks and never more than 8; evenly spaced ones within a
 * span too short for that.
 */
export function logTicks(values: number[], dataTicks: boolean): number[] {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return [];
  const distinct = [...new Set(positive)].sort((a, b) => a - b);
  const wellApart = distinct.every((v, i) => i === 0 || v / distinct[i - 1] >= MIN_DATA_TICK_RATIO);
  if (dataTicks && distinct.length >= 2 && distinct.length <= MAX_DATA_TICKS && wellApart) return distinct;
  const min = distinct[0];
  const max = distinct[distinct.length - 1];
  let ticks: number[] = [];
  for (const mantissas of LOG_MANTISSAS) {
    const candidate = decadeTicks(min, max, mantissas);
    if (candidate.length > MAX_LOG_TICKS) break;
    ticks = candidate;
    if (ticks.length >= MIN_LOG_TICKS) break;
  }
  if (ticks.length < 2 && min !== max) return linearTicks(min, max);
  if (ticks.length === 0) return [min];
  // An end of the data far beyond the last round tick gets a tick of its own (two digits), so it can be read off.
  const rounded = (v: number) => Number(v.toPrecision(2));
  const low = min < ticks[0] / MIN_DATA_TICK_RATIO ? [rounded(min)] : [];
  const high = max > ticks[ticks.length - 1] * MIN_DATA_TICK_RATIO ? [rounded(max)] : [];
  return [...low, ...ticks, ...high];
}

/** A log axis with `logTicks` over `values`, printed as full numbers ("2,048", "0.05") unless `format` says otherwise. */
export function logAxisTicks(values: number[], dataTicks: boolean, format: string | undefined): Partial<Axis> {
  return { type: "log", tickmode: "array", tickvals: logTicks(values, dataTicks), tickformat: format ?? ",~g" };
}

/** 1, 2 or 5 times a power of ten, the smallest such at least `step`. */
function niceStep(step: number): number {
  const power = 10 ** Math.floor(Math.log10(step));
  const mantissa = [1, 2, 5, 10].find((m) => m * power >= step) as number;
  return mantissa * power;
}

/** Ticks on whole numbers only (training steps, counts), about 6 across the span of `values`, at least 1 apart. */
export function wholeStepTicks(values: number[]): Partial<Axis> {
  const finite = values.filter(Number.isFinite);
  const span = finite.length > 0 ? Math.max(...finite) - Math.min(...finite) : 0;
  const dtick = span > 0 ? Math.max(1, niceStep(span / TARGET_LINEAR_TICKS)) : 1;
  return { tickmode: "linear", tick0: 0, dtick };
}
