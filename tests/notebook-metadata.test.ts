// The notebooks' own kernelspec and language_info (scripts/clean-notebooks.mjs): JupyterLab copies the
// kernel's language_info into a notebook when the kernel connects, so a notebook that lacks any of it shows
// as modified right after opening. (tests/kernel-status.test.ts checks COURSE_METADATA against the kernel.)
import fs from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { COURSE_METADATA, withCourseMetadata } from "../scripts/clean-notebooks.mjs";
import { NOTEBOOKS_DIR } from "../scripts/jupyter-env.mjs";

const notebooks = fs.readdirSync(NOTEBOOKS_DIR).filter((name) => name.endsWith(".ipynb")).sort();

describe("notebook metadata", () => {
  test("npm run clean sets the kernelspec and language_info and keeps other keys, sorted as nbformat writes them", () => {
    const metadata = withCourseMetadata({ toc: { depth: 2 }, language_info: { name: "typescript" }, authors: ["a"] });
    expect(Object.keys(metadata)).toEqual(["authors", "kernelspec", "language_info", "toc"]);
    expect(metadata).toEqual({ authors: ["a"], toc: { depth: 2 }, ...COURSE_METADATA });
  });

  test.each(notebooks)("%s has it (else run `npm run clean`)", (name) => {
    const { metadata } = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS_DIR, name), "utf8"));
    expect(JSON.stringify(metadata)).toBe(JSON.stringify(withCourseMetadata(metadata)));
  });
});
