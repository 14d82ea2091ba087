// Builds the course as a static web site: one self-contained HTML page per notebook plus an index.
// Pages show the prose, the code and its outputs (text, tables, interactive plotly figures) and open
// straight from disk: plotly.js is inlined once per page that has figures, nothing is fetched.
//
//   npm run build:site                       execute every course notebook, then write site/
//   npm run build:site -- --reuse            reuse artifacts/executed/<notebook> when it is complete and
//                                            newer than the notebook and every lib file; execute the rest
//   npm run build:site -- --out dir 04 06    other output folder; only notebooks whose names start so
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { NOTEBOOKS_DIR, NOTEBOOK_RUNNER, ROOT, VENV_PYTHON, jupyterEnv } from "./jupyter-env.mjs";

export const EXECUTED_DIR = path.join(ROOT, "artifacts", "executed");
export const SITE_DIR = path.join(ROOT, "site");
const LIB_DIR = path.join(ROOT, "lib");
const PLOTLY_JS = path.join(ROOT, "node_modules", "plotly.js-dist-min", "plotly.min.js");
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";
const CELL_TIMEOUT_S = 300;

// ---------------------------------------------------------------- notebook format (nbformat 4)

type MultilineString = string | string[];

export interface Output {
  output_type: "stream" | "display_data" | "execute_result" | "error";
  name?: "stdout" | "stderr";
  text?: MultilineString;
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

export interface Cell {
  cell_type: "code" | "markdown" | "raw";
  source: MultilineString;
  outputs?: Output[];
  execution_count?: number | null;
}

export interface Notebook {
  cells: Cell[];
  metadata?: Record<string, unknown>;
}

function joined(text: MultilineString | undefined): string {
  return Array.isArray(text) ? text.join("") : text ?? "";
}

export function readNotebook(file: string): Notebook {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Notebook;
}

/** Course notebooks: "01-calculator.ipynb" and on. */
export function courseNotebooks(dir = NOTEBOOKS_DIR): string[] {
  return fs.readdirSync(dir).filter((name) => /^\d\d-.+\.ipynb$/.test(name) && !name.startsWith("00-")).sort();
}

// ---------------------------------------------------------------- markdown

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ESCAPES[c]);
}

/** Heading text -> an id for links: "Step 1: project" -> "step-1-project". */
export function slug(text: string): string {
  return text.toLowerCase().replace(/<[^>]*>/g, "").replace(/&\w+;/g, "").replace(/[^\p{L}\p{N}]+/gu, "-").replace(/^-|-$/g, "");
}

const INLINE_HTML = /^<\/?[A-Za-z][\w-]*(?:\s+[^<>]*)?\/?>/;
const ENTITY = /^&(?:#\d+|#x[\da-fA-F]+|[A-Za-z]\w*);/;

/**
 * Inline markdown: `code`, **bold**, *italics* / _italics_, ~~strike~~, [links](url), ![images](src),
 * <autolinks>, inline HTML tags (<sup>...), entities, backslash escapes and hard breaks (two spaces).
 */
export function renderInline(text: string): string {
  let html = "";
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const c = text[i];
    let m: RegExpMatchArray | null;
    if (c === "\\" && /^\\[\\`*_{}[\]()#+\-.!|<>~]/.test(rest)) {
      html += escapeHtml(text[i + 1]);
      i += 2;
    } else if (c === "`" && (m = rest.match(/^(`+)([\s\S]*?[^`])\1(?!`)/))) {
      const code = m[2].length > 2 && m[2].startsWith(" ") && m[2].endsWith(" ") ? m[2].slice(1, -1) : m[2];
      html += `<code>${escapeHtml(code)}</code>`;
      i += m[0].length;
    } else if (c === "!" && (m = rest.match(/^!\[([^\]]*)\]\(\s*<?([^\s)>]+)>?(?:\s+"([^"]*)")?\s*\)/))) {
      const title = m[3] === undefined ? "" : ` title="${escapeHtml(m[3])}"`;
      html += `<img src="${escapeHtml(m[2])}" alt="${escapeHtml(m[1])}"${title}>`;
      i += m[0].length;
    } else if (c === "[" && (m = rest.match(/^\[((?:[^[\]]|\[[^\]]*\])*)\]\(\s*<?([^\s)>]+)>?(?:\s+"([^"]*)")?\s*\)/))) {
      const title = m[3] === undefined ? "" : ` title="${escapeHtml(m[3])}"`;
      html += `<a href="${escapeHtml(m[2])}"${title}>${renderInline(m[1])}</a>`;
      i += m[0].length;
    } else if (c === "<" && (m = rest.match(/^<((?:https?|mailto):[^\s<>]+)>/))) {
      html += `<a href="${escapeHtml(m[1])}">${escapeHtml(m[1])}</a>`;
      i += m[0].length;
    } else if (c === "<" && (m = rest.match(INLINE_HTML))) {
      html += m[0];
      i += m[0].length;
    } else if (c === "&" && (m = rest.match(ENTITY))) {
      html += m[0];
      i += m[0].length;
    } else if ((c === "*" || c === "_") && (m = matchEmphasis(text, i))) {
      html += m[0];
      i += m.index!;
    } else if (c === "~" && (m = rest.match(/^~~(?=\S)([\s\S]*?\S)~~/))) {
      html += `<del>${renderInline(m[1])}</del>`;
      i += m[0].length;
    } else if (c === " " && (m = rest.match(/^ {2,}\n/))) {
      html += "<br>\n";
      i += m[0].length;
    } else {
      html += escapeHtml(c);
      i += 1;
    }
  }
  return html;
}

/**
 * **strong** or *em* (or with _) starting at text[start]; returns [html] with .index = characters used.
 * Underscores count only at word boundaries, so snake_case_names stay as they are.
 */
function matchEmphasis(text: string, start: number): RegExpMatchArray | null {
  const marker = text[start];
  const underscore = marker === "_";
  if (underscore && start > 0 && /[\p{L}\p{N}]/u.test(text[start - 1])) return null;
  for (const width of [2, 1]) {
    const delimiter = marker.repeat(width);
    if (!text.startsWith(delimiter, start) || /\s/.test(text[start + width] ?? " ")) continue;
    if (width === 1 && text[start + 1] === marker) continue;
    let from = start + width + 1;
    for (;;) {
      const end = text.indexOf(delimiter, from);
      if (end < 0) break;
      const after = text[end + width] ?? "";
      const closes = !/\s/.test(text[end - 1]) && after !== marker && !(underscore && /[\p{L}\p{N}]/u.test(after));
      if (closes && !insideCodeSpan(text, start, end)) {
        const tag = width === 2 ? "strong" : "em";
        const result = [`<${tag}>${renderInline(text.slice(start + width, end))}</${tag}>`] as RegExpMatchArray;
        result.index = end + width - start;
        return result;
      }
      from = end + 1;
    }
  }
  return null;
}

/** Whether an odd number of backticks lies between from and to (the closing marker would sit in code). */
function insideCodeSpan(text: string, from: number, to: number): boolean {
  return (text.slice(from, to).match(/`/g)?.length ?? 0) % 2 === 1;
}

// Block-level HTML that passes through untouched until the next blank line (CommonMark HTML blocks).
const HTML_BLOCK = /^ {0,3}<\/?(?:details|summary|div|p|table|thead|tbody|tr|td|th|ul|ol|li|blockquote|pre|h[1-6]|hr|figure|figcaption|section|center|img|br)(?=[\s/>]|$)/i;
const FENCE = /^( {0,3})(`{3,}|~{3,})\s*([\w+-]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const LIST_ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])(\s+|$)/;
const TABLE_DELIMITER = /^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$/;

/** Splits a table row on pipes that are not escaped (\|) and not inside `code`. */
function tableCells(row: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let inCode = false;
  const line = row.trim().replace(/^\|/, "").replace(/(?<!\\)\|$/, "");
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "\\" && line[i + 1] === "|") {
      cell += "|";
      i += 1;
    } else if (c === "`") {
      inCode = !inCode;
      cell += c;
    } else if (c === "|" && !inCode) {
      cells.push(cell.trim());
      cell = "";
    } else {
      cell += c;
    }
  }
  cells.push(cell.trim());
  return cells;
}

function renderTable(lines: string[]): string {
  const header = tableCells(lines[0]);
  const aligns = tableCells(lines[1]).map((d) => (d.startsWith(":") && d.endsWith(":") ? "center" : d.endsWith(":") ? "right" : d.startsWith(":") ? "left" : ""));
  const cell = (tag: string, text: string, column: number) =>
    `<${tag}${aligns[column] ? ` style="text-align:${aligns[column]}"` : ""}>${renderInline(text)}</${tag}>`;
  const body = lines.slice(2).map((line) => {
    const cells = tableCells(line);
    return `<tr>${header.map((_, j) => cell("td", cells[j] ?? "", j)).join("")}</tr>`;
  });
  return `<table>\n<thead><tr>${header.map((h, j) => cell("th", h, j)).join("")}</tr></thead>\n<tbody>\n${body.join("\n")}\n</tbody>\n</table>`;
}

/** Whether `line` starts a block other than a paragraph (ends a paragraph without a blank line). */
function startsBlock(line: string): boolean {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || LIST_ITEM.test(line) || /^ {0,3}>/.test(line) || HTML_BLOCK.test(line);
}

/** Removes up to `width` leading spaces (tabs count as 4). */
function dedent(line: string, width: number): string {
  let i = 0;
  let removed = 0;
  while (removed < width && i < line.length && (line[i] === " " || line[i] === "\t")) {
    removed += line[i] === "\t" ? 4 : 1;
    i += 1;
  }
  return line.slice(i);
}

/** Block-level markdown: headings, paragraphs, fenced code, lists (nested), tables, quotes, rules, HTML blocks. */
export function renderMarkdown(markdown: string): string {
  return renderBlocks(markdown.replace(/\r\n?/g, "\n").split("\n")).join("\n");
}

function renderBlocks(lines: string[]): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m: RegExpMatchArray | null;
    if (line.trim() === "") {
      i += 1;
    } else if ((m = line.match(FENCE))) {
      const [, indent, fence, language] = m;
      const code: string[] = [];
      i += 1;
      while (i < lines.length && !new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(lines[i])) {
        code.push(dedent(lines[i], indent.length));
        i += 1;
      }
      i += 1; // the closing fence (or the end of the text)
      out.push(codeBlock(code.join("\n"), language));
    } else if ((m = line.match(HEADING))) {
      const level = m[1].length;
      const inner = renderInline(m[2] ?? "");
      out.push(`<h${level} id="${slug(inner)}">${inner}</h${level}>`);
      i += 1;
    } else if (RULE.test(line)) {
      out.push("<hr>");
      i += 1;
    } else if (HTML_BLOCK.test(line)) {
      const block: string[] = [];
      while (i < lines.length && lines[i].trim() !== "") block.push(lines[i++]);
      out.push(block.join("\n"));
    } else if (/^ {0,3}>/.test(line)) {
      const quoted: string[] = [];
      while (i < lines.length && lines[i].trim() !== "" && (/^ {0,3}>/.test(lines[i]) || !startsBlock(lines[i]))) {
        quoted.push(lines[i++].replace(/^ {0,3}> ?/, ""));
      }
      out.push(`<blockquote>\n${renderBlocks(quoted).join("\n")}\n</blockquote>`);
    } else if ((m = line.match(LIST_ITEM))) {
      i = renderList(lines, i, out);
    } else if (line.includes("|") && i + 1 < lines.length && TABLE_DELIMITER.test(lines[i + 1]) && lines[i + 1].includes("-")) {
      const rows: string[] = [];
      while (i < lines.length && lines[i].trim() !== "" && lines[i].includes("|")) rows.push(lines[i++]);
      out.push(renderTable(rows));
    } else {
      const paragraph: string[] = [];
      while (i < lines.length && lines[i].trim() !== "" && (paragraph.length === 0 || !startsBlock(lines[i]))) {
        paragraph.push(lines[i++].replace(/^\s+/, ""));
      }
      out.push(`<p>${renderInline(paragraph.join("\n").replace(/\s+$/, ""))}</p>`);
    }
  }
  return out;
}

/** Renders the list starting at lines[start] into `out`; returns the index after it. */
function renderList(lines: string[], start: number, out: string[]): number {
  const first = lines[start].match(LIST_ITEM)!;
  const ordered = /\d/.test(first[2]);
  const items: string[][] = [];
  let loose = false;
  let i = start;
  while (i < lines.length) {
    const m = lines[i].match(LIST_ITEM);
    if (!m || /\d/.test(m[2]) !== ordered) break;
    const contentIndent = m[1].length + m[2].length + Math.min(m[3].length || 1, 4);
    const item = [lines[i].slice(m[0].length)];
    i += 1;
    while (i < lines.length) {
      const line = lines[i];
      if (line.trim() === "") {
        // A blank line continues the item only if indented content follows.
        let next = i + 1;
        while (next < lines.length && lines[next].trim() === "") next += 1;
        if (next < lines.length && /^\s*/.exec(lines[next])![0].length >= contentIndent) {
          item.push(...lines.slice(i, next).map(() => ""));
          i = next;
          loose = true;
          continue;
        }
        break;
      }
      const indent = /^\s*/.exec(line)![0].length;
      if (indent >= contentIndent) item.push(dedent(line, contentIndent));
      else if (!startsBlock(line) && item[item.length - 1].trim() !== "") item.push(line.trim()); // lazy continuation
      else break;
      i += 1;
    }
    items.push(item);
    // A blank line between items makes the list loose (paragraphs in every item).
    if (i < lines.length && lines[i].trim() === "") {
      let next = i;
      while (next < lines.length && lines[next].trim() === "") next += 1;
      const m2 = next < lines.length ? lines[next].match(LIST_ITEM) : null;
      if (!m2 || /\d/.test(m2[2]) !== ordered || m2[1].length !== first[1].length) break;
      loose = true;
      i = next;
    }
  }
  const tag = ordered ? "ol" : "ul";
  const startNumber = ordered ? parseInt(first[2], 10) : 1;
  const rendered = items.map((item) => {
    let blocks = renderBlocks(item);
    if (!loose) blocks = blocks.map((b) => b.replace(/^<p>([\s\S]*)<\/p>$/, "$1"));
    return `<li>${blocks.join("\n")}</li>`;
  });
  out.push(`<${tag}${startNumber !== 1 ? ` start="${startNumber}"` : ""}>\n${rendered.join("\n")}\n</${tag}>`);
  return i;
}

// ---------------------------------------------------------------- code

const KEYWORDS = new Set(
  ("abstract as async await break case catch class const continue declare default delete do else enum export extends " +
    "false finally for from function if implements import in instanceof interface keyof let new null of private protected " +
    "public readonly return static super switch this throw true try type typeof undefined var void while yield").split(" "),
);
const TOKEN = /(\/\/[^\n]*|\/\*[\s\S]*?\*\/)|("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\[\s\S])*`)|(\b\d[\d_]*(?:\.\d+)?(?:e[+-]?\d+)?\b)|([A-Za-z_$][\w$]*)/g;

/** TypeScript source as HTML with comments, strings, numbers and keywords wrapped in spans. */
export function highlightTypeScript(code: string): string {
  let html = "";
  let last = 0;
  for (const m of code.matchAll(TOKEN)) {
    html += escapeHtml(code.slice(last, m.index));
    const [token, comment, string, number, word] = m;
    const kind = comment ? "comment" : string ? "string" : number ? "number" : word && KEYWORDS.has(word) ? "keyword" : "";
    html += kind ? `<span class="tok-${kind}">${escapeHtml(token)}</span>` : escapeHtml(token);
    last = m.index! + token.length;
  }
  return html + escapeHtml(code.slice(last));
}

function codeBlock(code: string, language: string): string {
  const typescript = /^(ts|typescript|js|javascript)$/i.test(language);
  const body = typescript ? highlightTypeScript(code) : escapeHtml(code);
  return `<pre class="code"><code${language ? ` class="language-${escapeHtml(language)}"` : ""}>${body}</code></pre>`;
}

// ---------------------------------------------------------------- outputs

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** Safe inside <script type="application/json">: no "</script>" or "<!--" can appear. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

interface PageState {
  figures: number; // figures so far on the page: ids figure-0, figure-1, ...
}

function renderOutput(output: Output, state: PageState): string {
  if (output.output_type === "stream") {
    const kind = output.name === "stderr" ? "stderr" : "stdout";
    return `<pre class="output ${kind}">${escapeHtml(joined(output.text).replace(ANSI, ""))}</pre>`;
  }
  if (output.output_type === "error") {
    const trace = (output.traceback ?? [`${output.ename}: ${output.evalue}`]).join("\n").replace(ANSI, "");
    return `<pre class="output stderr">${escapeHtml(trace)}</pre>`;
  }
  const data = output.data ?? {};
  if (PLOTLY_MIME in data) {
    const id = `figure-${state.figures++}`;
    return `<div class="output figure" id="${id}"></div>\n<script type="application/json" data-figure="${id}">${jsonForScript(data[PLOTLY_MIME])}</script>`;
  }
  if ("text/html" in data) return `<div class="output html">${joined(data["text/html"] as MultilineString)}</div>`;
  if ("text/markdown" in data) return `<div class="output markdown">${renderMarkdown(joined(data["text/markdown"] as MultilineString))}</div>`;
  if ("image/svg+xml" in data) return `<div class="output image">${joined(data["image/svg+xml"] as MultilineString)}</div>`;
  for (const mime of ["image/png", "image/jpeg", "image/gif"]) {
    if (mime in data) return `<div class="output image"><img alt="" src="data:${mime};base64,${joined(data[mime] as MultilineString).replace(/\s/g, "")}"></div>`;
  }
  if ("text/plain" in data) return `<pre class="output stdout">${escapeHtml(joined(data["text/plain"] as MultilineString).replace(ANSI, ""))}</pre>`;
  return "";
}

/** Consecutive stream outputs of the same stream as one (kernels split them arbitrarily). */
function mergeStreams(outputs: Output[]): Output[] {
  const merged: Output[] = [];
  for (const output of outputs) {
    const previous = merged[merged.length - 1];
    if (output.output_type === "stream" && previous?.output_type === "stream" && previous.name === output.name) {
      merged[merged.length - 1] = { ...previous, text: joined(previous.text) + joined(output.text) };
    } else {
      merged.push(output);
    }
  }
  return merged;
}

function renderCell(cell: Cell, state: PageState): string {
  const source = joined(cell.source);
  if (cell.cell_type === "markdown") return `<section class="cell markdown">\n${renderMarkdown(source)}\n</section>`;
  if (cell.cell_type === "raw") return `<section class="cell raw"><pre>${escapeHtml(source)}</pre></section>`;
  const count = cell.execution_count ?? " ";
  const outputs = mergeStreams(cell.outputs ?? []).map((o) => renderOutput(o, state)).filter(Boolean);
  return [
    `<section class="cell code">`,
    `<div class="input"><div class="prompt">[${count}]:</div><pre class="code"><code class="language-typescript">${highlightTypeScript(source)}</code></pre></div>`,
    ...(outputs.length ? [`<div class="outputs">\n${outputs.join("\n")}\n</div>`] : []),
    `</section>`,
  ].join("\n");
}

// ---------------------------------------------------------------- pages

const STYLE = `
:root { --text: #1f2328; --muted: #59636e; --line: #d1d9e0; --code-bg: #f6f8fa; --accent: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--text); background: #fff; font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main, header, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header, footer { display: flex; gap: 16px; justify-content: space-between; padding-top: 12px; padding-bottom: 12px; font-size: 14px; }
header { border-bottom: 1px solid var(--line); }
footer { border-top: 1px solid var(--line); margin-top: 32px; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
h1, h2, h3, h4 { line-height: 1.25; margin: 1.4em 0 0.5em; }
h1 { font-size: 2em; }
h2 { font-size: 1.5em; border-bottom: 1px solid var(--line); padding-bottom: 0.2em; }
code { font: 0.88em/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--code-bg); padding: 0.1em 0.3em; border-radius: 4px; }
pre { margin: 0; overflow-x: auto; }
pre code { background: none; padding: 0; }
pre.code { background: var(--code-bg); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.cell { margin: 14px 0; }
.cell.code .input { display: flex; gap: 8px; align-items: flex-start; }
.cell.code .input pre { flex: 1; min-width: 0; }
.prompt { color: var(--muted); font: 12px/1.5 ui-monospace, monospace; padding-top: 12px; min-width: 44px; text-align: right; }
.outputs { margin-left: 52px; }
.output { margin: 6px 0; }
pre.output { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; padding: 4px 0; white-space: pre-wrap; }
pre.output.stderr { background: #ffebe9; color: #82071e; padding: 6px 8px; border-radius: 6px; }
.output.figure { min-height: 60px; overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0; font-size: 14px; display: block; overflow-x: auto; }
th, td { border: 1px solid var(--line); padding: 4px 10px; }
th { background: var(--code-bg); }
blockquote { margin: 0; padding: 0 1em; color: var(--muted); border-left: 4px solid var(--line); }
details { border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; margin: 8px 0; }
summary { cursor: pointer; color: var(--accent); }
.tok-comment { color: #59636e; font-style: italic; }
.tok-string { color: #0a3069; }
.tok-number { color: #0550ae; }
.tok-keyword { color: #cf222e; }
ol.course > li { margin: 10px 0; }
.summary { color: var(--muted); }
.summary p { margin: 0.2em 0; }
.summary ul { margin: 0.2em 0; }
`;

// Draws every figure from its JSON once plotly.js has loaded; a figure that fails shows the error.
const DRAW_FIGURES = `
for (const data of document.querySelectorAll("script[data-figure]")) {
  const target = document.getElementById(data.dataset.figure);
  const figure = JSON.parse(data.textContent);
  Plotly.newPlot(target, figure.data, figure.layout, { responsive: true, displaylogo: false })
    .catch((error) => { target.textContent = "This figure could not be drawn: " + error; });
}
`;

let plotlySource: string | undefined;

/** plotly.min.js, checked to be safe inline in a <script> element. */
function plotlyScript(): string {
  if (plotlySource === undefined) {
    const source = fs.readFileSync(PLOTLY_JS, "utf8");
    if (/<\/?script/i.test(source)) throw new Error(`${PLOTLY_JS} contains "<script" or "</script", so it cannot be inlined as it is.`);
    plotlySource = source;
  }
  return plotlySource;
}

function page(title: string, nav: string, body: string, scripts: string[]): string {
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    `<header>${nav}</header>`,
    `<main>\n${body}\n</main>`,
    `<footer>${nav}</footer>`,
    ...scripts.map((s) => `<script>${s}</script>`),
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/** The text of the notebook's first heading, without markup. */
export function notebookTitle(notebook: Notebook, fallback: string): string {
  for (const cell of notebook.cells) {
    if (cell.cell_type !== "markdown") continue;
    const heading = joined(cell.source).match(/^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$/m);
    if (heading) return renderInline(heading[1]).replace(/<[^>]*>/g, "").replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"');
  }
  return fallback;
}

export interface PageLink {
  href: string;
  title: string;
}

export interface RenderedPage {
  html: string;
  figures: number; // plotly figures on the page
}

/** One notebook as a self-contained HTML page; prev/next link the neighbouring pages. */
export function renderNotebookPage(notebook: Notebook, title: string, links: { prev?: PageLink; next?: PageLink } = {}): RenderedPage {
  const state: PageState = { figures: 0 };
  const body = notebook.cells.map((cell) => renderCell(cell, state)).join("\n");
  const link = (l: PageLink | undefined, label: (title: string) => string) =>
    l ? `<a href="${escapeHtml(l.href)}">${label(escapeHtml(l.title))}</a>` : "<span></span>";
  const nav = [
    link(links.prev, (t) => `← ${t}`),
    `<a href="index.html">All notebooks</a>`,
    link(links.next, (t) => `${t} →`),
  ].join("");
  const scripts = state.figures > 0 ? [plotlyScript(), DRAW_FIGURES] : [];
  return { html: page(title, nav, body, scripts), figures: state.figures };
}

interface IndexEntry extends PageLink {
  summary: string; // the first paragraph of the notebook (and a list it leads into), as HTML
  figures: number;
}

/** The notebook's first paragraph, with the list after it when the sentence runs on into it ("you will:"). */
function summaryOf(notebook: Notebook): string {
  for (const cell of notebook.cells) {
    if (cell.cell_type !== "markdown") continue;
    const blocks = renderBlocks(joined(cell.source).split("\n"));
    const first = blocks.findIndex((block) => block.startsWith("<p>"));
    if (first < 0) continue;
    const runsOn = !/[.!?)"”]<\/p>$/.test(blocks[first]) && /^<[uo]l/.test(blocks[first + 1] ?? "");
    return blocks.slice(first, runsOn ? first + 2 : first + 1).join("\n");
  }
  return "";
}

function renderIndex(entries: IndexEntry[]): string {
  const items = entries.map((e) => `<li><a href="${escapeHtml(e.href)}">${escapeHtml(e.title)}</a><div class="summary">${e.summary}</div></li>`);
  const body = [
    "<h1>Attention workshop</h1>",
    "<p>Attention and transformers in TypeScript, built up to a tiny model that learns word arithmetic " +
      "(“two plus three” → “five”). These pages show every notebook with the outputs of one run; to change the code " +
      "and run it yourself, open the notebooks in JupyterLab (<code>npm start</code>).</p>",
    `<ol class="course">\n${items.join("\n")}\n</ol>`,
  ].join("\n");
  return page("Attention workshop", "<span>Attention workshop</span>", body, []);
}

// ---------------------------------------------------------------- executing the notebooks

/** Why an executed copy cannot be reused, or undefined when it is complete and newer than its sources. */
export function staleReason(notebookFile: string, executedFile: string): string | undefined {
  if (!fs.existsSync(executedFile)) return "no executed copy";
  const executedAt = fs.statSync(executedFile).mtimeMs;
  const sources = [notebookFile, ...fs.readdirSync(LIB_DIR).map((name) => path.join(LIB_DIR, name))];
  const newer = sources.find((file) => fs.statSync(file).mtimeMs > executedAt);
  if (newer) return `${path.relative(ROOT, newer)} changed after it was executed`;
  const cells = readNotebook(executedFile).cells.filter((cell) => cell.cell_type === "code");
  if (cells.some((cell) => cell.execution_count == null)) return "not every code cell ran";
  const failed = cells.some((cell) => (cell.outputs ?? []).some((o) => o.output_type === "error" || o.name === "stderr"));
  return failed ? "a cell failed" : undefined;
}

/** Runs scripts/run_notebook.py on the notebooks (one after another), executed copies into `outDir`. */
export function executeNotebooks(notebookFiles: string[], outDir: string): Promise<void> {
  const args = [NOTEBOOK_RUNNER, ...notebookFiles, "--out", outDir, "--timeout", String(CELL_TIMEOUT_S)];
  return new Promise((resolve, reject) => {
    const runner = spawn(VENV_PYTHON, args, { cwd: ROOT, env: jupyterEnv(), stdio: ["ignore", "inherit", "inherit"] });
    runner.on("error", reject);
    runner.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`run_notebook.py failed (exit ${code}); see its messages above`)),
    );
  });
}

export interface BuildOptions {
  outDir?: string;
  reuse?: boolean; // reuse complete executed copies newer than their notebook and lib
  only?: string[]; // notebook name prefixes, e.g. ["04", "06"]
  log?: (line: string) => void;
}

/** Executes (or reuses) the course notebooks and writes the site; returns the pages written. */
export async function buildSite(options: BuildOptions = {}): Promise<IndexEntry[]> {
  const { outDir = SITE_DIR, reuse = false, only = [], log = console.log } = options;
  const all = courseNotebooks();
  const names = only.length ? all.filter((name) => only.some((prefix) => name.startsWith(prefix))) : all;
  if (names.length === 0) throw new Error(`no course notebook in ${NOTEBOOKS_DIR} starts with ${only.join(" or ")}`);

  const toRun = names.filter((name) => {
    if (!reuse) return true;
    const reason = staleReason(path.join(NOTEBOOKS_DIR, name), path.join(EXECUTED_DIR, name));
    log(reason ? `${name}: executing (${reason})` : `${name}: reusing artifacts/executed/${name}`);
    return reason !== undefined;
  });
  if (toRun.length) await executeNotebooks(toRun.map((name) => path.join(NOTEBOOKS_DIR, name)), EXECUTED_DIR);

  // Titles and summaries come from the committed notebooks, so prev/next links work when building a few pages.
  fs.mkdirSync(outDir, { recursive: true });
  const entries: IndexEntry[] = all.map((name) => {
    const source = readNotebook(path.join(NOTEBOOKS_DIR, name));
    return { href: name.replace(/\.ipynb$/, ".html"), title: notebookTitle(source, name), summary: summaryOf(source), figures: 0 };
  });
  const written = entries.filter((_, i) => names.includes(all[i]));
  for (const entry of written) {
    const i = entries.indexOf(entry);
    const executed = readNotebook(path.join(EXECUTED_DIR, all[i]));
    const { html, figures } = renderNotebookPage(executed, entry.title, { prev: entries[i - 1], next: entries[i + 1] });
    entry.figures = figures;
    fs.writeFileSync(path.join(outDir, entry.href), html);
    log(`wrote ${path.relative(ROOT, path.join(outDir, entry.href))} (${figures} figure${figures === 1 ? "" : "s"}, ${(html.length / 1e6).toFixed(1)} MB)`);
  }
  if (written.length === entries.length) {
    fs.writeFileSync(path.join(outDir, "index.html"), renderIndex(entries));
    log(`wrote ${path.relative(ROOT, path.join(outDir, "index.html"))}`);
  }
  return written;
}

function parseArgs(argv: string[]): BuildOptions {
  const options: BuildOptions = { only: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--reuse") options.reuse = true;
    else if (arg === "--out" && argv[i + 1]) options.outDir = path.resolve(argv[++i]);
    else if (!arg.startsWith("-")) options.only!.push(arg);
    else throw new Error(`unknown option "${arg}"; expected --reuse, --out <dir> or notebook name prefixes such as 04`);
  }
  return options;
}

if (require.main === module) {
  const started = Date.now();
  buildSite(parseArgs(process.argv.slice(2)))
    .then((entries) => console.log(`site: ${entries.length} pages in ${((Date.now() - started) / 1000).toFixed(0)} s`))
    .catch((error: Error) => {
      console.error(`build-site: ${error.message}`);
      process.exit(1);
    });
}
