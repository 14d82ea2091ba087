// The course in a real browser: JupyterLab in headless Chromium, driven through its menus and editor
// as a learner would, plus a saved (untrusted) notebook. (The static site: tests/build-site.test.ts.)
//   - 04-multi-head-attention opens without the unsaved-changes mark (tests/notebook-metadata.test.ts).
//   - 04-multi-head-attention: Run All draws one attention heatmap per head; after NUM_HEADS is edited
//     in the cell editor and the notebook is run again, the number of heatmaps follows.
//   - 06-training: the live loss curve gains points while the training cell is still running.
//   - a notebook executed by scripts/run_notebook.py (so never trusted) shows its plotly figures.
// JupyterLab serves a temporary copy of the notebooks (notebooks/ itself stays clean), with its own
// workspaces and settings; Chromium keeps its profile and home there too. Screenshots go to
// artifacts/screenshots/. Needs /usr/bin/chromium (Debian's chromium package): fails, saying so, when it is missing.
import fs from "node:fs";
import path from "node:path";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { EXECUTED_DIR, PLOTLY_MIME, executeNotebooks, readNotebook, staleReason } from "../scripts/build-site";
import { NOTEBOOKS_DIR, ROOT } from "../scripts/jupyter-env.mjs";
import { JupyterLab, launchChromium, requireChromium, startJupyterLab } from "./browser-helpers";

const MULTI_HEAD = "04-multi-head-attention.ipynb";
const TRAINING = "06-training.ipynb";
const SCREENSHOTS = path.join(ROOT, "artifacts", "screenshots");
const TRAINING_BUDGET_S = 15; // TIME_BUDGET_SECONDS for the training notebook in this test (it ships with minutes)
const RUN_TIMEOUT_MS = 6 * 60_000; // one Run All; generous for a loaded 2-core machine
const POLL_MS = 500;

/** Calls `check` every POLL_MS until it returns a value other than undefined; fails with `what` after the timeout. */
async function poll<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The `const NAME = value;` line of a notebook's code cells: [the whole line, the value]. */
function constantIn(notebook: string, name: string): [string, string] {
  const line = new RegExp(`^const ${name}\\b(?:\\s*:[^=]+)?\\s*=\\s*([^;]+);.*$`, "m");
  for (const cell of readNotebook(notebook).cells) {
    const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
    const match = cell.cell_type === "code" ? source.match(line) : null;
    if (match) return [match[0], match[1].trim()];
  }
  throw new Error(`${path.basename(notebook)} has no top-level \`const ${name} = ...;\` line`);
}

function withValue(line: string, name: string, value: string | number): string {
  return line.replace(new RegExp(`^(const ${name}\\b(?:\\s*:[^=]+)?\\s*=\\s*)[^;]+;`), `$1${value};`);
}

describe("the course in a real browser", () => {
  const runDir = path.join(ROOT, ".cache", "browser-test", `run-${process.pid}-${Date.now()}`);
  const servedRoot = path.join(runDir, "notebooks"); // what JupyterLab serves: copies of the notebooks
  let lab: JupyterLab | undefined;
  let browser: BrowserContext | undefined;
  let workspaces = 0;

  beforeAll(async () => {
    requireChromium(); // fails here, with what to install, before anything starts
    fs.mkdirSync(path.join(servedRoot, "saved"), { recursive: true });
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    for (const old of fs.readdirSync(SCREENSHOTS).filter((name) => name.endsWith(".png"))) fs.rmSync(path.join(SCREENSHOTS, old));
    for (const name of [MULTI_HEAD, TRAINING]) fs.copyFileSync(path.join(NOTEBOOKS_DIR, name), path.join(servedRoot, name));
    fs.symlinkSync(path.join(ROOT, "lib"), path.join(servedRoot, "lib")); // notebooks import "./lib/..."
    lab = await startJupyterLab(servedRoot, path.join(runDir, "jupyter"));
    browser = await launchChromium(path.join(runDir, "chromium"));
  }, 5 * 60_000);

  afterAll(async () => {
    // Each step on its own, so a failing one does not leave the others running.
    await browser?.close().catch((error) => console.error(`closing Chromium: ${error}`));
    await lab?.stop().catch((error) => console.error(`stopping JupyterLab: ${error}`));
    fs.rmSync(runDir, { recursive: true, force: true });
  }, 60_000);

  const api = async <T>(route: string): Promise<T> => {
    const response = await fetch(`${lab!.url}${route}`, { headers: { Authorization: `token ${lab!.token}` } });
    if (!response.ok) throw new Error(`GET ${route}: HTTP ${response.status}`);
    return (await response.json()) as T;
  };

  /** The execution state of the kernel behind the notebook at `notebookPath` (relative to the served root). */
  async function kernelState(notebookPath: string): Promise<string | undefined> {
    const sessions = await api<{ path: string; kernel: { execution_state: string } | null }[]>("/api/sessions");
    return sessions.find((s) => s.path === notebookPath)?.kernel?.execution_state;
  }

  /** A new page with the notebook open in a fresh workspace (no restored tabs), its kernel started and idle. */
  async function openNotebook(notebookPath: string): Promise<Page> {
    const page = await browser!.newPage();
    page.setDefaultTimeout(120_000);
    const workspace = `test-${process.pid}-${++workspaces}`;
    await page.goto(`${lab!.url}/lab/workspaces/${workspace}/tree/${notebookPath}?reset&token=${lab!.token}`);
    await page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first().waitFor();
    await poll(`the kernel of ${notebookPath} to be idle`, async () => ((await kernelState(notebookPath)) === "idle" ? true : undefined), 120_000);
    return page;
  }

  async function screenshot(target: Page | Locator, name: string): Promise<void> {
    await target.screenshot({ path: path.join(SCREENSHOTS, name), timeout: 60_000 });
  }

  /**
   * Scrolls `element` into view and waits until it stops moving: JupyterLab lays out cells near the
   * viewport lazily, so cells above may still change height right after a scroll.
   */
  async function scrollIntoStableView(page: Page, element: Locator, timeoutMs = 30_000): Promise<void> {
    const viewport = page.viewportSize()!;
    let previous = "";
    await poll("the element to hold still in view", async () => {
      await element.scrollIntoViewIfNeeded();
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      const box = await element.boundingBox();
      const inView = box !== null && box.y >= 0 && box.y + box.height <= viewport.height;
      const now = JSON.stringify(box);
      const still = inView && now === previous;
      previous = now;
      return still ? true : undefined;
    }, timeoutMs);
  }

  /** Screenshots of one figure (the element) and of the whole JupyterLab window around it. */
  async function figureScreenshots(page: Page, figure: Locator, name: string): Promise<void> {
    await scrollIntoStableView(page, figure);
    await screenshot(figure, `${name}.png`);
    await screenshot(page, `${name}-jupyterlab.png`);
  }

  /** Screenshot of the whole window if `body` fails, then the failure is passed on. */
  async function onFailureScreenshot(page: Page, name: string, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (error) {
      await screenshot(page, `${name}-FAILED.png`).catch(() => undefined);
      throw error;
    }
  }

  const codeCells = (page: Page) => page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell");

  /** The code cell whose editor has a line matching `line`. */
  function cellWithLine(page: Page, line: RegExp): Locator {
    return codeCells(page).filter({ has: page.locator(".cm-line", { hasText: line }) });
  }

  /** Input prompts of all code cells: "[12]:" done, "[*]:" running or queued, "[ ]:" not run. */
  async function prompts(page: Page): Promise<string[]> {
    return (await codeCells(page).locator(".jp-InputPrompt").allTextContents()).map((text) => text.trim());
  }

  const executionCount = (prompt: string) => Number(prompt.match(/^\[(\d+)\]/)?.[1] ?? NaN);

  /** Run > Run All Cells from the menu bar. */
  async function runAllFromMenu(page: Page): Promise<void> {
    await page.locator(".lm-MenuBar-itemLabel", { hasText: /^Run$/ }).click();
    await page.locator(".lm-Menu-itemLabel", { hasText: /^Run All Cells$/ }).click();
  }

  /**
   * Waits until the Run All started after `before` (the prompts before it) has finished: no cell queued or
   * running and the kernel idle, twice in a row. Then checks that every cell ran and none wrote to stderr.
   */
  async function waitForRunAll(page: Page, notebookPath: string, before: string[], onPoll?: (now: string[]) => Promise<void>): Promise<void> {
    const previousMax = Math.max(0, ...before.map(executionCount).filter(Number.isFinite));
    let quietPolls = 0;
    await poll(`Run All of ${notebookPath} to finish`, async () => {
      const now = await prompts(page);
      await onPoll?.(now);
      const started = now.some((p, i) => p !== before[i]);
      const quiet = started && !now.some((p) => p.includes("*")) && (await kernelState(notebookPath)) === "idle";
      quietPolls = quiet ? quietPolls + 1 : 0;
      return quietPolls >= 2 ? true : undefined;
    }, RUN_TIMEOUT_MS);
    const errors = await page.locator(
      ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
    ).allTextContents();
    expect(errors, "stderr output (type or runtime errors) in the notebook").toEqual([]);
    const after = await prompts(page);
    const notRun = after.filter((p) => !(executionCount(p) > previousMax));
    expect(notRun, `code cells that did not run in this Run All (prompts: ${after.join(" ")})`).toEqual([]);
  }

  /** Replaces the `const NAME = ...;` line through the cell editor, keeping the rest of the line, and checks it. */
  async function editConstant(page: Page, name: string, value: string | number): Promise<void> {
    const pattern = new RegExp(`^const ${name}\\b`);
    const line = cellWithLine(page, pattern).locator(".cm-line", { hasText: pattern });
    await expect.poll(() => line.count(), { message: `cells with a \`const ${name}\` line`, timeout: 30_000 }).toBe(1);
    const oldLine = (await line.textContent())!;
    const newLine = withValue(oldLine, name, value);
    await line.click(); // edit mode, cursor on the line
    await page.keyboard.press("End");
    await page.keyboard.press("Shift+Home");
    await page.keyboard.insertText(newLine);
    await page.keyboard.press("Escape"); // back to command mode
    const edited = cellWithLine(page, pattern).locator(".cm-line", { hasText: pattern });
    await expect.poll(() => edited.textContent(), { message: `the ${name} line after editing`, timeout: 10_000 }).toBe(newLine);
  }

  /** Plotly figures drawn in `scope`: per plot the SVG count, the heatmap traces, the annotation texts and the title. */
  async function drawnPlots(scope: Locator) {
    return scope.locator(".js-plotly-plot").evaluateAll((plots) =>
      plots.map((plot) => ({
        svgs: plot.querySelectorAll(".main-svg").length,
        heatmaps: plot.querySelectorAll(".heatmaplayer g.hm").length,
        traces: plot.querySelectorAll(".cartesianlayer .trace, .heatmaplayer g.hm").length,
        annotations: Array.from(plot.querySelectorAll(".annotation-text")).map((a) => a.textContent ?? ""),
        title: plot.querySelector(".gtitle")?.textContent ?? "",
      })),
    );
  }

  /**
   * Scrolls the open notebook from the top a screen at a time (JupyterLab draws a figure only once its cell
   * is near the view, as a learner scrolling sees it) until `found` returns a value; undefined at the bottom.
   */
  async function scrollUntil<T>(page: Page, found: () => Promise<T | undefined>): Promise<T | undefined> {
    const scroller = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer");
    await scroller.evaluate((el) => (el.scrollTop = 0));
    for (;;) {
      await page.waitForTimeout(1_500);
      const value = await found();
      if (value !== undefined) return value;
      const moved = await scroller.evaluate((el) => {
        const before = el.scrollTop;
        el.scrollTop += 0.8 * el.clientHeight;
        return el.scrollTop !== before;
      });
      if (!moved) return undefined;
    }
  }

  /** The per-head heatmaps of the layer 04 builds: the figure titled "... random weights" whose panels are titled "head k". */
  async function headHeatmaps(page: Page): Promise<{ heatmaps: number; headTitles: string[] }> {
    const grid = await scrollUntil(page, async () => (await drawnPlots(page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")))
      .filter((plot) => /random weights/.test(plot.title) && plot.heatmaps > 0)
      .map((plot) => ({ heatmaps: plot.heatmaps, headTitles: plot.annotations.filter((a) => /\bhead \d+$/.test(a)) }))[0]);
    expect(grid, "the per-head figure of the random layer (heatmapGrid, titled \"... random weights\")").toBeDefined();
    return grid!;
  }

  test(`${MULTI_HEAD} opens unmodified once its kernel is connected, and the server does not warn about it`, async () => {
    const page = await openNotebook(MULTI_HEAD);
    await onFailureScreenshot(page, "04-opened", async () => {
      await page.locator(".jp-StatusBar-Widget", { hasText: /TypeScript \| Idle/ }).waitFor();
      await page.waitForTimeout(2_000); // JupyterLab copies the kernel's language_info in just after connecting
      expect(await page.locator(".lm-TabBar-tab.jp-mod-dirty").count(), "tabs marked modified").toBe(0);
      expect(lab!.log().split("\n").filter((line) => /websocket_ping|unknown msg_type/.test(line))).toEqual([]);
    });
    await page.close();
  }, 4 * 60_000);

  test(`${MULTI_HEAD}: one heatmap per head, and editing NUM_HEADS changes how many`, async () => {
    const [, shipped] = constantIn(path.join(servedRoot, MULTI_HEAD), "NUM_HEADS");
    const numHeads = Number(shipped);
    expect(Number.isInteger(numHeads), `NUM_HEADS in ${MULTI_HEAD} is ${shipped}`).toBe(true);
    const editedHeads = numHeads === 2 ? 4 : 2;
    const page = await openNotebook(MULTI_HEAD);
    await onFailureScreenshot(page, "04-multi-head", async () => {
      let before = await prompts(page);
      await runAllFromMenu(page);
      await waitForRunAll(page, MULTI_HEAD, before);
      const first = await headHeatmaps(page);
      expect(first.headTitles).toHaveLength(numHeads);
      expect(first.heatmaps, "heatmap traces drawn in the per-head figure").toBe(numHeads);
      const grid = codeCells(page).locator(".js-plotly-plot").filter({ has: page.locator(".gtitle", { hasText: /random weights/ }) });
      await figureScreenshots(page, grid, `04-multi-head-${numHeads}-heads`);

      await editConstant(page, "NUM_HEADS", editedHeads);
      before = await prompts(page);
      await runAllFromMenu(page);
      await waitForRunAll(page, MULTI_HEAD, before);
      const second = await headHeatmaps(page);
      expect(second.headTitles).toHaveLength(editedHeads);
      expect(second.heatmaps, "heatmap traces drawn in the per-head figure").toBe(editedHeads);
      await figureScreenshots(page, grid, `04-multi-head-${editedHeads}-heads`);
    });
    await page.close();
  }, 2 * RUN_TIMEOUT_MS + 4 * 60_000);

  test(`${TRAINING}: the loss curve grows while the model trains`, async () => {
    const page = await openNotebook(TRAINING);
    await onFailureScreenshot(page, "06-training", async () => {
      await editConstant(page, "TIME_BUDGET_SECONDS", TRAINING_BUDGET_S);
      const trainingCell = cellWithLine(page, /nb\.trainLive\(/).first();
      const lossPlot = trainingCell.locator(".js-plotly-plot").filter({ has: page.locator(".gtitle", { hasText: /loss/i }) });
      /** Points in the loss curve's first trace, read from the drawn plotly element; undefined until it is drawn. */
      const lossPoints = () =>
        trainingCell.locator(".js-plotly-plot").evaluateAll((plots) => {
          const plot = plots.find((p) => /loss/i.test(p.querySelector(".gtitle")?.textContent ?? ""));
          if (!plot || !plot.querySelector(".main-svg .scatterlayer .trace")) return undefined;
          return (plot as unknown as { data: { x: unknown[] }[] }).data[0].x.length;
        });
      const whileRunning: number[] = []; // points on the curve, sampled while the training cell runs
      let midRunShot = false;
      let midRunAttempts = 0;
      const before = await prompts(page);
      await runAllFromMenu(page);
      await waitForRunAll(page, TRAINING, before, async () => {
        const running = (await trainingCell.locator(".jp-InputPrompt").textContent())?.includes("*");
        const points = running ? await lossPoints() : undefined;
        if (points === undefined) return;
        if (points !== whileRunning[whileRunning.length - 1]) whileRunning.push(points);
        if (!midRunShot && whileRunning.length >= 3 && midRunAttempts++ < 2) {
          // The live plot is replaced at every redraw, so this picture of the window may miss it; it is only a picture.
          midRunShot = await scrollIntoStableView(page, lossPlot, 10_000).then(() => true, () => false);
          if (midRunShot) await screenshot(page, "06-training-loss-live-jupyterlab.png");
        }
      });
      console.log(`${TRAINING}: points on the live loss curve, sampled while the training cell ran: ${whileRunning.join(", ")}`);
      expect(whileRunning.length, `distinct curve sizes seen during training (${whileRunning.join(", ")})`).toBeGreaterThanOrEqual(3);
      expect(whileRunning, "the curve only grows").toEqual([...whileRunning].sort((a, b) => a - b));
      expect(await lossPoints(), "points on the final loss curve").toBeGreaterThanOrEqual(whileRunning[whileRunning.length - 1]);
      await figureScreenshots(page, lossPlot, "06-training-loss");
    });
    await page.close();
  }, RUN_TIMEOUT_MS + 4 * 60_000);

  /** An executed copy of 04 made by run_notebook.py: artifacts/executed/ when complete and fresh, else run now. */
  let executedMultiHead: Promise<string> | undefined;
  function executed(): Promise<string> {
    executedMultiHead ??= (async () => {
      const copy = path.join(servedRoot, "saved", MULTI_HEAD);
      const artifact = path.join(EXECUTED_DIR, MULTI_HEAD);
      if (staleReason(path.join(NOTEBOOKS_DIR, MULTI_HEAD), artifact) === undefined) {
        fs.copyFileSync(artifact, copy);
        try {
          readNotebook(copy); // a copy taken while another run was writing the file does not parse
          return copy;
        } catch {
          // run it below
        }
      }
      await executeNotebooks([path.join(NOTEBOOKS_DIR, MULTI_HEAD)], copy);
      return copy;
    })();
    return executedMultiHead;
  }

  const figuresIn = (notebookFile: string) =>
    readNotebook(notebookFile).cells.flatMap((cell) => cell.outputs ?? []).filter((o) => o.data && PLOTLY_MIME in o.data).length;

  test("a notebook executed outside JupyterLab (untrusted) shows its figures when opened", async () => {
    const saved = await executed();
    const figures = figuresIn(saved);
    expect(figures, `plotly outputs in ${path.relative(ROOT, saved)}`).toBeGreaterThan(0);
    const notebookPath = `saved/${MULTI_HEAD}`;
    const page = await openNotebook(notebookPath);
    await onFailureScreenshot(page, "04-saved-untrusted", async () => {
      const panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)");
      await panel.locator(".jp-OutputArea-output").first().waitFor();
      // run_notebook.py does not sign what it writes, so JupyterLab shows the outputs untrusted (no jp-mod-trusted).
      expect(await panel.locator(".jp-OutputArea-output.jp-mod-trusted").count(), "outputs shown as trusted").toBe(0);
      const drawn = new Set<string>(); // the titles of the figures drawn so far (each of 04's figures has its own)
      await scrollUntil(page, async () => {
        for (const plot of await drawnPlots(panel)) if (plot.svgs > 0 && plot.traces > 0) drawn.add(plot.title);
        return drawn.size >= figures ? true : undefined;
      });
      expect(drawn.size, `figures drawn in ${notebookPath} (${[...drawn].join("; ")})`).toBe(figures);
      const grid = panel.locator(".js-plotly-plot").filter({ has: page.locator(".gtitle", { hasText: /random weights/ }) });
      await figureScreenshots(page, grid, "04-saved-untrusted");
    });
    await page.close();
  }, 10 * 60_000);
});
