// The shapes of the plotly figures lib/notebook/figures builds: plain JSON-ready objects ({data, layout})
// that plotly.js draws as they are. Only the attributes the course uses are typed.
// Titles are always {text} objects: plotly.js 3 and later ignore plain-string titles.

export interface Title {
  text: string;
  standoff?: number; // axis titles: px between the tick labels and the title
  x?: number; // figure titles: where, in paper or container fractions
  xref?: "paper" | "container";
  xanchor?: "left" | "center";
  side?: "right" | "top" | "bottom"; // colour-bar titles: beside or above the bar
}

export interface Axis {
  title?: Title;
  domain?: [number, number];
  anchor?: string; // the axis this one is drawn against in a subplot grid: "x2", "y3"
  type?: "linear" | "log";
  autorange?: boolean | "reversed";
  range?: [number, number]; // in log10 units on a log axis
  tickmode?: "array" | "linear";
  tickvals?: number[];
  ticktext?: string[];
  tick0?: number;
  dtick?: number;
  tickformat?: string;
  hoverformat?: string;
  tickangle?: number;
  ticks?: "outside" | "";
  showticklabels?: boolean;
  showgrid?: boolean;
  gridcolor?: string;
  zeroline?: boolean;
  automargin?: boolean;
  scaleanchor?: string; // keep one unit of this axis as long on screen as one unit of the named axis
  constrain?: "range" | "domain";
  constraintoward?: "left" | "center" | "right" | "top" | "middle" | "bottom";
}

export interface HeatmapTrace {
  type: "heatmap";
  name?: string;
  z: (number | null)[][]; // [rows][cols]; null (from NaN or ±Infinity) is an empty cell
  x: number[]; // column positions 0..cols-1, named by the x axis ticktext
  y: number[]; // row positions 0..rows-1, named by the y axis ticktext
  customdata: string[][][]; // [rows][cols] -> [row label, column label], for the hover text
  hovertemplate: string;
  hoverongaps: boolean;
  texttemplate?: string;
  coloraxis: "coloraxis";
  xaxis?: string;
  yaxis?: string;
  visible?: boolean;
}

export interface ScatterTrace {
  type: "scatter";
  mode: "lines" | "lines+markers";
  name: string;
  x: number[];
  y: (number | null)[];
  line?: { dash?: "solid" | "dash" | "dot"; color?: string; width?: number };
  xaxis?: string;
  yaxis?: string;
}

export interface BarTrace {
  type: "bar";
  name?: string;
  x: string[];
  y: (number | null)[];
  texttemplate?: string;
  textposition?: "outside";
}

export type Trace = HeatmapTrace | ScatterTrace | BarTrace;

export interface ColorBar {
  thickness: number;
  title?: Title;
  orientation?: "h" | "v";
  len?: number;
  lenmode?: "fraction" | "pixels";
  x?: number; // paper fractions
  y?: number;
  xanchor?: "left" | "center" | "right";
  yanchor?: "top" | "middle" | "bottom";
}

export interface ColorAxis {
  colorscale: [number, string][];
  cmin?: number;
  cmax?: number;
  cmid?: number; // a diverging scale's middle colour sits here
  colorbar: ColorBar;
}

export interface Annotation {
  text: string;
  x: number;
  y: number;
  xref: "paper";
  yref: "paper";
  xanchor: "center";
  yanchor: "bottom";
  showarrow: false;
  font: { size: number };
}

export interface MenuButton {
  label: string;
  method: "restyle";
  args: [{ visible: boolean[] }];
}

export interface UpdateMenu {
  type: "dropdown";
  active: number;
  buttons: MenuButton[];
  x: number;
  y: number;
  xanchor: "left";
  yanchor: "bottom";
}

export interface Margin {
  l: number;
  r: number;
  t: number;
  b: number;
}

export interface Layout {
  title?: Title;
  height: number;
  width?: number; // unset: as wide as the notebook output
  autosize?: boolean;
  margin: Margin;
  font: { size: number };
  paper_bgcolor: string;
  plot_bgcolor: string;
  showlegend?: boolean;
  barmode?: "group";
  xaxis?: Axis;
  yaxis?: Axis;
  coloraxis?: ColorAxis;
  annotations?: Annotation[];
  updatemenus?: UpdateMenu[];
  [gridAxis: `xaxis${number}`]: Axis | undefined; // subplot axes: xaxis2, xaxis3, ...
  [gridAxis: `yaxis${number}`]: Axis | undefined;
}

export interface Figure {
  data: Trace[];
  layout: Layout;
}
