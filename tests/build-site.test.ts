// The static site (scripts/build-site.ts): pages made by nbconvert, opened from disk in headless Chromium
// with the network off. A small notebook written here checks the page's parts; notebook 2, executed by
// the runner, checks that a real course page draws every figure.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EXECUTED_DIR, Notebook, PLOTLY_MIME, buildSite, convertNotebooks, courseNotebooks, notebookTitle, readNotebook, writeIndex } from "../scripts/build-site";
import { ROOT } from "../scripts/jupyter-env.mjs";
import { launchChromium } from "./browser-helpers";

const COURSE_PAGE = "02-query-key-value";
const figure = { data: [{ type: "heatmap", z: [[1, 2], [3, 4]], x: ["</script>", "b"] }], layout: { title: { text: "weights" } } };
const handmade: Notebook = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {
    kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" },
    language_info: { name: "typescript" },
    title: "2 · Query",
    site: { prev: { href: "01-a.html", title: "1 · A & B" }, next: { href: "03-c.html", title: "3 · C" } },
  },
  cells: [
    { cell_type: "markdown", id: "title", metadata: {}, source: "# 2 · Query, *key*\n\n![the roles](figures/roles.svg)" },
    {
      cell_type: "code", id: "code", metadata: {}, execution_count: 1, source: 'console.log("hi");',
      outputs: [
        { output_type: "stream", name: "stdout", text: "printed <text>\n" },
        { output_type: "display_data", metadata: {}, data: { [PLOTLY_MIME]: figure, "text/plain": "a heatmap" } },
      ],
    },
    { cell_type: "markdown", id: "solution", metadata: {}, source: "<details><summary>Show a solution</summary>\n\n```typescript\nconst x = 1; // [B]\n```\n</details>" },
  ],
};

let scratch: string;
let browser: BrowserContext;
beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "site-test-"));
  browser = await launchChromium(path.join(scratch, "chromium"));
  await browser.setOffline(true);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** Opens a page from disk; fails on script errors or on any request that is not for a local file. */
async function open(file: string): Promise<Page> {
  const page = await browser.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on("request", (request) => requests.push(request.url()));
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(pathToFileURL(file).href);
  await page.waitForLoadState("load");
  expect(errors, "script errors").toEqual([]);
  expect(requests.filter((url) => !url.startsWith("file:") && !url.startsWith("data:")), "requests beyond the disk").toEqual([]);
  return page;
}

/** No script, style sheet, image or font is loaded from the network; links to read elsewhere are allowed. */
function expectNothingFetched(html: string): void {
  expect(html.match(/<(script|link|img|iframe|source|video|audio)\b[^>]*\b(src|href)\s*=\s*["']?(https?:)?\/\//gi)).toBeNull();
  expect(html.match(/(url\(\s*["']?|@import\s+["']?)(https?:)?\/\//gi)).toBeNull();
}

describe("a page from a handmade notebook", () => {
  let file: string;
  let html: string;
  beforeAll(async () => {
    fs.writeFileSync(path.join(scratch, "02-query.ipynb"), JSON.stringify(handmade));
    await convertNotebooks([path.join(scratch, "02-query.ipynb")], path.join(scratch, "out"));
    file = path.join(scratch, "out", "02-query.html");
    html = fs.readFileSync(file, "utf8");
  }, 120_000);

  test("has prev/next links, the printed text, the image, and plotly.js once; fetches nothing", () => {
    expect(html).toContain('<a href="01-a.html">← 1 · A &amp; B</a><a href="index.html">All notebooks</a><a href="03-c.html">3 · C →</a>');
    expect(html).toContain("printed &lt;text&gt;");
    expect(html).toContain('src="figures/roles.svg"');
    const plotlyStart = fs.readFileSync(path.join(ROOT, "node_modules", "plotly.js-dist-min", "plotly.min.js"), "utf8").slice(0, 200);
    expect(html.split(plotlyStart)).toHaveLength(2); // inlined exactly once
    expect(html).not.toContain('x":["</script>"'); // the figure's JSON cannot end its script early
    expectNothingFetched(html);
  });

  test("in Chromium offline: the figure draws, the solution is collapsed with its code inside", async () => {
    const page = await open(file);
    await page.locator(".plotly-figure svg.main-svg").first().waitFor({ timeout: 30_000 });
    expect(await page.locator(".plotly-figure").count()).toBe(1);
    expect(await page.locator(".plotly-figure .hm image, .plotly-figure .heatmaplayer image").count()).toBe(1);
    expect(await page.locator(".plotly-figure .gtitle").textContent()).toBe("weights");
    const solution = page.locator("details");
    expect(await solution.getAttribute("open")).toBeNull();
    expect(await solution.locator("summary").textContent()).toBe("Show a solution");
    expect(await solution.locator("pre").textContent()).toContain("const x = 1; // [B]");
    expect(await solution.locator("pre").isVisible()).toBe(false);
    await page.close();
  }, 60_000);

  test("the index links every course notebook by its title, with its first paragraph", async () => {
    const pages = courseNotebooks().map((name) => ({ name, href: name.replace(/\.ipynb$/, ".html"), title: `title of ${name}` }));
    await convertNotebooks([writeIndex(pages, scratch)], path.join(scratch, "out"));
    const index = fs.readFileSync(path.join(scratch, "out", "index.html"), "utf8");
    for (const { href, title } of pages) expect(index).toContain(`<a href="${href}">${title}</a>`);
    expect(index).toContain("word arithmetic");
    expect(index).not.toContain("<nav");
    expectNothingFetched(index);
  }, 60_000);

  test("notebookTitle drops markdown marks", () => {
    expect(notebookTitle(handmade, "fallback")).toBe("2 · Query, key");
    expect(notebookTitle({ cells: [], metadata: {} }, "fallback")).toBe("fallback");
  });
});

test(`notebook 2 built by npm run build:site draws every figure with the network off`, async () => {
  const outDir = path.join(scratch, "site");
  await buildSite({ outDir, reuse: true, only: [COURSE_PAGE.slice(0, 2)], log: () => {} });
  const figures = readNotebook(path.join(EXECUTED_DIR, `${COURSE_PAGE}.ipynb`)).cells
    .flatMap((cell) => cell.outputs ?? []).filter((output) => output.data?.[PLOTLY_MIME]).length;
  expect(figures).toBeGreaterThan(0);
  const html = fs.readFileSync(path.join(outDir, `${COURSE_PAGE}.html`), "utf8");
  expectNothingFetched(html);
  const page = await open(path.join(outDir, `${COURSE_PAGE}.html`));
  await page.locator(".plotly-figure svg.main-svg").first().waitFor({ timeout: 60_000 });
  const drawn = await page.locator(".plotly-figure").evaluateAll((divs) =>
    divs.map((div) => ({ svgs: div.querySelectorAll("svg.main-svg").length, traces: div.querySelectorAll(".trace, .hm").length })));
  expect(drawn).toHaveLength(figures);
  expect(drawn.every(({ svgs, traces }) => svgs > 0 && traces > 0), JSON.stringify(drawn)).toBe(true);
  expect(await page.locator("nav.site a", { hasText: "All notebooks" }).count()).toBe(2);
  const diagrams = path.join(ROOT, "notebooks", "figures"); // copied so that ![...](figures/x.svg) works
  if (fs.existsSync(diagrams)) expect(fs.readdirSync(path.join(outDir, "figures")).sort()).toEqual(fs.readdirSync(diagrams).sort());
  await page.screenshot({ path: path.join(scratch, "page.png"), fullPage: false });
  fs.mkdirSync(path.join(path.dirname(EXECUTED_DIR), "screenshots"), { recursive: true });
  fs.copyFileSync(path.join(scratch, "page.png"), path.join(path.dirname(EXECUTED_DIR), "screenshots", `site-${COURSE_PAGE}.png`));
  await page.close();
}, 10 * 60_000);
