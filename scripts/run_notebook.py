"""Executes course notebooks with the tslab kernel and stops at the first failing cell.

tslab reports type and runtime errors as stderr text rather than error outputs, and aborts the
requests that follow an error, so any stderr output or error output counts as a failure.
Each notebook runs with its own folder as working directory (notebooks/ for the course).

Run it in the project's Jupyter environment, e.g.
    node scripts/jupyter-env.mjs python scripts/run_notebook.py notebooks/01-x.ipynb --out artifacts/executed
"""

import argparse
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

KERNEL = "tslab"
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


class NotebookFailure(Exception):
    """A cell failed; the message names the notebook, the cell and the error."""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=Path, help=".ipynb files, run in the given order")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="rewrite the top-level `const NAME = ...;` line(s) to `const NAME = VALUE;` (repeatable)")
    parser.add_argument("--out", type=Path, help="write executed notebooks here: a .ipynb path for one notebook, else a folder")
    parser.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell (default 300)")
    args = parser.parse_args()
    for setting in args.settings:
        if not re.fullmatch(r"[A-Za-z_$][\w$]*=.+", setting):
            parser.error(f'--set expects NAME=VALUE, got "{setting}"')
    if args.out and args.out.suffix == ".ipynb" and len(args.notebooks) > 1:
        parser.error(f"--out {args.out} is a single notebook file but {len(args.notebooks)} notebooks were given")
    return args


def cell_label(nb, cell_index):
    """'code cell 2 (cell 3 counting all cells): `first line`', both counts 1-based."""
    code_number = sum(1 for cell in nb.cells[: cell_index + 1] if cell.cell_type == "code")
    first_line = nb.cells[cell_index].source.strip().splitlines()[0] if nb.cells[cell_index].source.strip() else ""
    return f"code cell {code_number} (cell {cell_index + 1} counting all cells): `{first_line}`"


def apply_settings(nb, name, settings):
    """Rewrites `const NAME = ...;` at the start of a line in code cells; fails if NAME is not there."""
    for setting in settings:
        const_name, value = setting.split("=", 1)
        line = re.compile(rf"^(const {re.escape(const_name)}\b(?:\s*:[^=]+)?\s*=\s*)[^;]*;", re.MULTILINE)
        places = []
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and line.search(cell.source):
                cell.source = line.sub(lambda match: f"{match.group(1)}{value};", cell.source)
                places.append(cell_label(nb, index))
        if not places:
            raise NotebookFailure(f"{name}: --set {setting}: no top-level `const {const_name} = ...;` line in any code cell")
        print(f"{name}: set {const_name} = {value} in {'; '.join(places)}")


def failure_text(cell, execute_reply):
    """The error text of an executed cell, or None when it ran cleanly."""
    problems = []
    for output in cell.outputs:
        if output.output_type == "stream" and output.name == "stderr":
            problems.append(output.text)
        elif output.output_type == "error":
            problems.append("\n".join(output.traceback) or f"{output.ename}: {output.evalue}")
    if not problems and execute_reply["content"].get("status") == "error":
        content = execute_reply["content"]
        problems.append(f"{content.get('ename', 'error')}: {content.get('evalue', '(the kernel gave no message)')}")
    return ANSI_ESCAPE.sub("", "\n".join(problems)).strip() or None


def execute(nb, name, cwd, timeout):
    """Executes nb in place with the tslab kernel; raises NotebookFailure at the first failing cell."""
    current = {}

    def check_cell(cell, cell_index, execute_reply):
        error = failure_text(cell, execute_reply)
        if error:
            raise NotebookFailure(f"{name}: {cell_label(nb, cell_index)} failed:\n{error}")

    client = NotebookClient(
        nb, kernel_name=KERNEL, timeout=timeout, allow_errors=True,
        resources={"metadata": {"path": str(cwd)}},
        on_cell_execute=lambda cell, cell_index: current.update(index=cell_index),
        on_cell_executed=check_cell,
    )
    try:
        client.execute()
    except CellTimeoutError:
        raise NotebookFailure(f"{name}: {cell_label(nb, current['index'])} did not finish within {timeout} s") from None
    except DeadKernelError:
        raise NotebookFailure(f"{name}: the kernel died during {cell_label(nb, current['index'])}") from None


def main():
    args = parse_args()
    if "JUPYTER_RUNTIME_DIR" not in os.environ:
        sys.exit("run_notebook.py: start it through `node scripts/jupyter-env.mjs python scripts/run_notebook.py ...` "
                 "so Jupyter keeps its files inside the project")
    failed = 0
    for path in args.notebooks:
        started = time.monotonic()
        nb = nbformat.read(path, as_version=4)
        try:
            apply_settings(nb, path.name, args.settings)
            execute(nb, path.name, path.parent.resolve(), args.timeout)
            print(f"ok {path.name} ({time.monotonic() - started:.1f} s)")
        except NotebookFailure as failure:
            print(f"FAIL {failure}\n({path.name} stopped after {time.monotonic() - started:.1f} s)", file=sys.stderr)
            failed += 1
        if args.out:
            out = args.out if args.out.suffix == ".ipynb" else args.out / path.name
            out.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
