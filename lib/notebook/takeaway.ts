// Notebook takeaways are plain sentences in markdown that hold across seeds; after each one a cell
// measures this run (or the shipped models) and says whether it agrees, with a clearly marked note for
// any claim that does not.

export interface Claim {
  says: string; // the claim in the markdown's words: "nearly all the facts it trained on"
  holds: boolean; // in this run
  measured: string; // what this run measured: "training facts 100.0%"
}

/** Plain text wraps inside words in a notebook's output, so lines are broken between words at this width. */
export const LINE_WIDTH = 100;

/** `text` broken between words into lines of at most `width` characters (a longer word keeps its own line); later lines indented. */
export function wrapText(text: string, width = LINE_WIDTH, indent = "  "): string {
  const lines: string[] = [];
  for (const word of text.split(" ")) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(last >= 0 ? indent + word : word);
  }
  return lines.join("\n");
}

/**
 * Prints what was measured when every claim holds, else a NOTE naming each claim that does not.
 * `measuredOn` says where the claims were measured when that is not this run ("the three shipped seeds").
 */
export function checkTakeaway(claims: readonly Claim[], measuredOn = "this run"): void {
  if (claims.length === 0) throw new Error("checkTakeaway: no claims given; expected at least one.");
  const failing = claims.filter((c) => !c.holds);
  if (failing.length === 0) {
    console.log(wrapText(`Measured on ${measuredOn}, the takeaway holds: ${claims.map((c) => c.measured).join("; ")}.`));
    return;
  }
  console.log([
    `NOTE: measured on ${measuredOn}, ${failing.length} of ${claims.length} points differ from the takeaway above:`,
    ...failing.map((c) => wrapText(`  - ${c.says}: here ${c.measured}`, LINE_WIDTH, "    ")),
  ].join("\n"));
}
