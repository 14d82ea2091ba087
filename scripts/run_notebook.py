"""Executes course notebooks with the tslab kernel and stops at the first failing cell.

tslab reports type and runtime errors as stderr text rather than error outputs, and aborts the
requests that follow an error, so any stderr output or error output counts as a failure.
Each notebook runs with its own folder as working directory (notebooks/ for the course).

After each run the runner reads how many tensors tfjs holds (what tf.memory().numTensors reports).
With --rerun a notebook runs twice, as a learner may run it (--restart adds a third pass):
  pass 1  the whole notebook in a new kernel,
  pass 2  every cell again in the same kernel (fails if tfjs then holds more tensors than after pass 1),
  pass 3  with --restart, the whole notebook again after a kernel restart: only a notebook that leaves
          files behind (a checkpoint) can behave differently here than in pass 1.
The last pass's outputs are the ones saved. --rerun-set NAME=VALUE changes a constant for every pass but
the last, e.g. a short training budget.
--expect-offline first checks, without sending a packet, that only the loopback interface exists and no
route leads off the machine, for runs in a network namespace with no network, e.g. as root:
    unshare -n sh -c 'ip link set lo up && exec "$@"' sh node scripts/jupyter-env.mjs python scripts/run_notebook.py ...

Run it in the project's Jupyter environment, e.g.
    node scripts/jupyter-env.mjs python scripts/run_notebook.py notebooks/01-x.ipynb --out artifacts/executed
"""

import argparse
import ipaddress
import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync

KERNEL = "tslab"
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
KERNEL_START_TIMEOUT_S = 60
# Two runners starting kernels at the same moment can be handed the same free port; the kernel that loses
# never answers, so a kernel that does not start is started again, this many times in all.
KERNEL_START_ATTEMPTS = 3
# After a cell's reply nbclient waits this long for its remaining outputs (its default, 4 s, silently
# dropped hundreds of a 1,500-output burst on a loaded machine); running out of it fails the cell.
OUTPUT_DRAIN_TIMEOUT_S = 120

PASS_NAMES = {1: "first run", 2: "run again in the same kernel", 3: "run after a kernel restart"}

# Run after every pass: prints what tf.memory() would report, read from tfjs's global engine so
# that a notebook that never loaded tfjs does not load it now (and print its Node.js banner).
TENSOR_MARKER = "run_notebook.py tensors:"
TENSOR_COUNT_SOURCE = f"""{{
  const engine = (globalThis as {{ _tfengine?: {{ state: {{ numTensors: number; numBytes: number }} }} }})._tfengine;
  console.log("{TENSOR_MARKER} " + JSON.stringify(engine ? {{ numTensors: engine.state.numTensors, numBytes: engine.state.numBytes }} : null));
}}"""

# --expect-offline reads these (per network namespace, unlike /sys/class/net, which shows the namespace sysfs was mounted in).
INTERFACES_FILE = Path("/proc/net/dev")
ROUTE_FILES = {"IPv4": Path("/proc/net/route"), "IPv6": Path("/proc/net/ipv6_route")}
RTF_REJECT = 0x0200  # an "unreachable" route, which a new namespace has for IPv6 ::/0 on lo


class NotebookFailure(Exception):
    """A cell failed; the message names the notebook, the pass, the cell and the error."""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=Path, help=".ipynb files, run in the given order")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="rewrite the top-level `const NAME = ...;` line(s) to `const NAME = VALUE;` (repeatable)")
    parser.add_argument("--rerun", action="store_true", help="run, then run every cell again in the same kernel")
    parser.add_argument("--restart", action="store_true", help="with --rerun: restart the kernel and run once more")
    parser.add_argument("--rerun-set", dest="rerun_settings", action="append", default=[], metavar="NAME=VALUE",
                        help="like --set, but for every pass of --rerun except the last (repeatable)")
    parser.add_argument("--expect-offline", action="store_true",
                        help="first check that only loopback exists and no route leads out (reads /proc/net); fail otherwise")
    parser.add_argument("--out", type=Path, help="write executed notebooks here: a .ipynb path for one notebook, else a folder")
    parser.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell (default 300)")
    args = parser.parse_args()
    for setting in args.settings + args.rerun_settings:
        if not re.fullmatch(r"[A-Za-z_$][\w$]*=.+", setting):
            parser.error(f'--set and --rerun-set expect NAME=VALUE, got "{setting}"')
    if (args.rerun_settings or args.restart) and not args.rerun:
        parser.error("--rerun-set and --restart only apply together with --rerun")
    if args.out and args.out.suffix == ".ipynb" and len(args.notebooks) > 1:
        parser.error(f"--out {args.out} is a single notebook file but {len(args.notebooks)} notebooks were given")
    return args


def check_offline():
    """Raises NotebookFailure unless only loopback exists and no route leads off the machine; sends no packet.
    Returns what it read."""
    interfaces = [line.split(":")[0].strip() for line in INTERFACES_FILE.read_text().splitlines()[2:]]
    problems = [f"interface {name} exists" for name in interfaces if name != "lo"]
    for line in ROUTE_FILES["IPv4"].read_text().splitlines()[1:]:
        interface, destination, _, flags, *_, mask = line.split()[:8]
        if interface != "lo" and not int(flags, 16) & RTF_REJECT:
            address = ipaddress.IPv4Address(bytes.fromhex(destination)[::-1])
            problems.append(f"IPv4 route to {address}/{bin(int(mask, 16)).count('1')} via {interface}")
    for line in ROUTE_FILES["IPv6"].read_text().splitlines():
        destination, length, *_, flags, interface = line.split()
        if interface != "lo" and not int(flags, 16) & RTF_REJECT:
            problems.append(f"IPv6 route to {ipaddress.IPv6Address(int(destination, 16))}/{int(length, 16)} via {interface}")
    if problems:
        raise NotebookFailure(f"--expect-offline: this machine can reach a network: {'; '.join(problems)}")
    return f"interfaces: {', '.join(interfaces)}; no route off the machine (read {', '.join(map(str, [INTERFACES_FILE, *ROUTE_FILES.values()]))})"


def cell_label(nb, cell_index):
    """'code cell 2 (cell 3 counting all cells): `first line`', both counts 1-based."""
    if cell_index >= len(nb.cells) or nb.cells[cell_index].metadata.get("run_notebook") == "tensor count":
        return "the runner's tensor count cell"
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


def tensor_count(cell, prefix):
    """{'numTensors': n, 'numBytes': b} from the tensor count cell's output, or None if tfjs was never loaded."""
    text = "".join(output.text for output in cell.outputs if output.output_type == "stream" and output.name == "stdout")
    found = re.search(rf"{re.escape(TENSOR_MARKER)} (.*)", text)
    if not found:
        raise NotebookFailure(f"{prefix}the runner's tensor count cell printed no count (its output: {text!r})")
    return json.loads(found.group(1))


async def execute_passes(nb, name, cwd, timeout, passes, rerun_settings):
    """Executes nb in place; returns the number of tensors after each pass. Raises NotebookFailure at the first failing cell."""
    where = {"prefix": f"{name}: ", "index": 0}

    def check_cell(cell, cell_index, execute_reply):
        error = failure_text(cell, execute_reply)
        if error:
            raise NotebookFailure(f"{where['prefix']}{cell_label(nb, cell_index)} failed:\n{error}")

    def new_client():
        return NotebookClient(
            nb, kernel_name=KERNEL, timeout=timeout, allow_errors=True, startup_timeout=KERNEL_START_TIMEOUT_S,
            iopub_timeout=OUTPUT_DRAIN_TIMEOUT_S, raise_on_iopub_timeout=True,
            resources={"metadata": {"path": str(cwd)}},
            on_cell_execute=lambda cell, cell_index: where.update(index=cell_index),
            on_cell_executed=check_cell,
        )
    client = new_client()

    async def run_cells():
        """Every code cell in order (counted from 1, as in a new kernel), then the tensor count cell; returns its count."""
        code_cells = [(index, cell) for index, cell in enumerate(nb.cells) if cell.cell_type == "code" and cell.source.strip()]
        for execution_count, (index, cell) in enumerate(code_cells, start=1):
            await client.async_execute_cell(cell, index, execution_count=execution_count)
        nb.cells.append(nbformat.v4.new_code_cell(TENSOR_COUNT_SOURCE, metadata={"run_notebook": "tensor count"}))
        try:
            return tensor_count(await client.async_execute_cell(nb.cells[-1], len(nb.cells) - 1), where["prefix"])
        finally:
            nb.cells.pop()

    final_sources = [cell.source for cell in nb.cells]
    if rerun_settings:
        apply_settings(nb, name, rerun_settings)

    async def run_passes(started):
        """All passes in one kernel; started["kernel"] turns True once the kernel answers."""
        counts = []
        async with client.async_setup_kernel():
            started["kernel"] = True
            reply = await client.async_wait_for_reply(client.kc.kernel_info())
            nb.metadata["language_info"] = reply["content"]["language_info"]
            for number in passes:
                if len(passes) > 1:
                    where["prefix"] = f"{name}, pass {number} of {len(passes)} ({PASS_NAMES[number]}): "
                if number == passes[-1]:
                    for cell, source in zip(nb.cells, final_sources):
                        cell.source = source
                if number == 3:
                    await ensure_async(client.km.restart_kernel(now=True))
                    await ensure_async(client.kc.wait_for_ready(timeout=KERNEL_START_TIMEOUT_S))
                try:
                    counts.append(await run_cells())
                except (CellTimeoutError, DeadKernelError) as error:
                    label = cell_label(nb, where["index"])
                    what = (f"the kernel died during {label}" if isinstance(error, DeadKernelError) else
                            f"{label}: its outputs did not all arrive within {OUTPUT_DRAIN_TIMEOUT_S} s" if "IOPub" in str(error) else
                            f"{label} did not finish within {timeout} s")
                    raise NotebookFailure(f"{where['prefix']}{what}") from None
                if counts[-1] is None and any("@tensorflow/tfjs" in cell.source for cell in nb.cells):
                    raise NotebookFailure(f"{where['prefix']}the notebook imports tfjs but globalThis._tfengine is missing: "
                                          "this tfjs keeps its engine elsewhere, so the runner cannot count tensors")
                tensors = [count["numTensors"] if count else 0 for count in counts]
                if number == 2 and tensors[1] > tensors[0]:
                    raise NotebookFailure(
                        f"{where['prefix']}tfjs holds {tensors[1]} tensors, {tensors[1] - tensors[0]} more than after the first run "
                        f"({tensors[0]}): re-running the cells leaks tensors (make them inside tf.tidy or remake())")
        return counts

    for attempt in range(1, KERNEL_START_ATTEMPTS + 1):
        started = {"kernel": False}
        try:
            return await run_passes(started)
        except RuntimeError as error:  # nbclient's DeadKernelError is one too
            if started["kernel"]:
                raise
            if attempt == KERNEL_START_ATTEMPTS:
                raise NotebookFailure(f"{name}: the kernel did not start in {attempt} attempts: {error}") from None
            print(f"{name}: the kernel did not start ({error}); starting another")
            client = new_client()


def describe_counts(counts):
    if not any(counts):
        return "tfjs not loaded"
    return ", ".join(f"{count['numTensors']} ({count['numBytes']:,} bytes) after pass {number}" if count
                     else f"tfjs not loaded after pass {number}" for number, count in enumerate(counts, start=1))


def main():
    args = parse_args()
    if "JUPYTER_RUNTIME_DIR" not in os.environ:
        sys.exit("run_notebook.py: start it through `node scripts/jupyter-env.mjs python scripts/run_notebook.py ...` "
                 "so Jupyter keeps its files inside the project")
    if args.expect_offline:
        try:
            print(f"offline check passed: {check_offline()}")
        except NotebookFailure as failure:
            print(f"FAIL {failure}", file=sys.stderr)
            return 1
    passes = [1, 2, 3] if args.restart else [1, 2] if args.rerun else [1]
    failed = 0
    for path in args.notebooks:
        started = time.monotonic()
        nb = nbformat.read(path, as_version=4)
        try:
            apply_settings(nb, path.name, args.settings)
            counts = run_sync(execute_passes)(nb, path.name, path.parent.resolve(), args.timeout, passes, args.rerun_settings)
            print(f"{path.name} tensors: {describe_counts(counts)}")
            print(f"ok {path.name} ({time.monotonic() - started:.1f} s{f', {len(passes)} passes' if len(passes) > 1 else ''})")
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
