// The static site builder: its markdown renderer and the page it makes of an executed notebook.
// (tests/browser.test.ts opens such a page in Chromium and checks that the figures draw.)
import { describe, expect, test } from "vitest";
import { Notebook, PLOTLY_MIME, highlightTypeScript, notebookTitle, renderInline, renderMarkdown, renderNotebookPage, slug } from "../scripts/build-site";

describe("renderInline", () => {
  test.each([
    ["**bold** and *italic* and _also_", "<strong>bold</strong> and <em>italic</em> and <em>also</em>"],
    ["`a * b` stays code: `<T>`", "<code>a * b</code> stays code: <code>&lt;T&gt;</code>"],
    ["snake_case_name and 2 * 3 * 4", "snake_case_name and 2 * 3 * 4"],
    ["[the guide](https://example.org/a_b) and ![plot](p.png)", '<a href="https://example.org/a_b">the guide</a> and <img src="p.png" alt="plot">'],
    ["[PAD] [START] are tokens, not links", "[PAD] [START] are tokens, not links"],
    ["T<sup>2</sup> grows; a < b & c", "T<sup>2</sup> grows; a &lt; b &amp; c"],
    ["\\*not italic\\* and &times;", "*not italic* and &times;"],
    ["**`code` in bold**", "<strong><code>code</code> in bold</strong>"],
    ["line one  \nline two", "line one<br>\nline two"],
  ])("%s", (markdown, html) => {
    expect(renderInline(markdown)).toBe(html);
  });
});

describe("renderMarkdown", () => {
  test("headings get ids, paragraphs join their lines", () => {
    expect(renderMarkdown("# 4. Multi-head *attention*\n\nOne line\nand the next.")).toBe(
      '<h1 id="4-multi-head-attention">4. Multi-head <em>attention</em></h1>\n<p>One line\nand the next.</p>',
    );
  });

  test("a table with alignment, an escaped pipe and code", () => {
    const html = renderMarkdown("| op | count |\n| :--- | ---: |\n| a \\| b | `x | y` |\n| plus | 5050 |");
    expect(html).toContain('<th style="text-align:left">op</th><th style="text-align:right">count</th>');
    expect(html).toContain('<tr><td style="text-align:left">a | b</td><td style="text-align:right"><code>x | y</code></td></tr>');
    expect(html).toContain("<td style=\"text-align:right\">5050</td>");
  });

  test("nested and ordered lists", () => {
    const html = renderMarkdown("- one\n  - inner\n- two\n  continued\n\n3. three\n4. four");
    expect(html).toBe(
      "<ul>\n<li>one\n<ul>\n<li>inner</li>\n</ul></li>\n<li>two\ncontinued</li>\n</ul>\n" +
        '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>',
    );
  });

  test("a solution hidden in <details> keeps its fenced code", () => {
    const html = renderMarkdown("<details><summary>Show a solution</summary>\n\n```typescript\nconst x = a < b; // [B, T]\n```\n</details>");
    expect(html).toBe(
      "<details><summary>Show a solution</summary>\n" +
        '<pre class="code"><code class="language-typescript"><span class="tok-keyword">const</span> x = a &lt; b; <span class="tok-comment">// [B, T]</span></code></pre>\n' +
        "</details>",
    );
  });

  test("quotes and rules", () => {
    expect(renderMarkdown("> **Note** this\n\n---\nafter")).toBe("<blockquote>\n<p><strong>Note</strong> this</p>\n</blockquote>\n<hr>\n<p>after</p>");
  });

  test("a list item holding a code block", () => {
    expect(renderMarkdown("1. run\n\n   ```\n   npm start\n   ```\n2. open")).toBe(
      '<ol>\n<li><p>run</p>\n<pre class="code"><code>npm start</code></pre></li>\n<li><p>open</p></li>\n</ol>',
    );
  });
});

test("highlightTypeScript marks keywords, strings, numbers and comments, and escapes the rest", () => {
  expect(highlightTypeScript('const s = "a<b"; // 2 heads\nreturn x > 0.5;')).toBe(
    '<span class="tok-keyword">const</span> s = <span class="tok-string">&quot;a&lt;b&quot;</span>; <span class="tok-comment">// 2 heads</span>\n' +
      '<span class="tok-keyword">return</span> x &gt; <span class="tok-number">0.5</span>;',
  );
});

test("slug", () => {
  expect(slug("Step 1: project <em>once</em>")).toBe("step-1-project-once");
});

describe("renderNotebookPage", () => {
  const figure = { data: [{ type: "bar", x: ["</script><b>"], y: [1] }], layout: { height: 300 } };
  const notebook: Notebook = {
    cells: [
      { cell_type: "markdown", source: ["# 6 · Training\n", "\n", "Intro."] },
      {
        cell_type: "code",
        execution_count: 3,
        source: 'console.log("hi");',
        outputs: [
          { output_type: "stream", name: "stdout", text: ["a\n"] },
          { output_type: "stream", name: "stdout", text: "b <i>\n" },
          { output_type: "display_data", data: { [PLOTLY_MIME]: figure, "text/plain": "figure" } },
          { output_type: "display_data", data: { "text/markdown": "| a | b |\n| --- | --- |\n| 1 | 2 |" } },
          { output_type: "stream", name: "stderr", text: "\u001b[31mError: bad\u001b[0m" },
        ],
      },
      { cell_type: "code", execution_count: null, source: "let unrun = 1;", outputs: [] },
    ],
  };

  test("code, merged streams, a markdown table, stderr and a figure with its JSON kept inside its script", () => {
    const { html, figures } = renderNotebookPage(notebook, "Training", { next: { href: "07.html", title: "Long contexts" } });
    expect(figures).toBe(1);
    expect(html).toContain('<div class="prompt">[3]:</div>');
    expect(html).toContain('<div class="prompt">[ ]:</div>');
    expect(html).toContain('<pre class="output stdout">a\nb &lt;i&gt;\n</pre>');
    expect(html).toContain("<td>1</td><td>2</td>");
    expect(html).toContain('<pre class="output stderr">Error: bad</pre>');
    expect(html).toContain('<div class="output figure" id="figure-0"></div>');
    expect(html).toContain('"x":["\\u003c/script>\\u003cb>"]');
    expect(html.match(/<\/script>/g)).toHaveLength(3); // the figure's JSON, plotly.js, the drawing code
    expect(html).toContain('<a href="07.html">Long contexts →</a>');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/); // nothing loaded from elsewhere
  });

  test("plotly.js is left out of pages without figures", () => {
    const { html, figures } = renderNotebookPage({ cells: [notebook.cells[0]] }, "Training");
    expect(figures).toBe(0);
    expect(html).not.toContain("<script");
  });

  test("the title is the first heading's text", () => {
    expect(notebookTitle(notebook, "fallback")).toBe("6 · Training");
    expect(notebookTitle({ cells: [] }, "fallback")).toBe("fallback");
  });
});
