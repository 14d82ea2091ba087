"""Test driver for tests/kernel-status.test.ts: what the tslab kernel says while a cell awaits.

Starts the course's kernel (the project's `tslab` kernel spec) in notebooks/, runs a cell that awaits for
a few seconds and, while it runs, sends what JupyterLab and its server send on opening a notebook:
kernel_info_request and history_request on shell, kernel_info_request on control. Writes one JSON object to the file named by its argument:
"timeline", every message from the kernel in the order it arrived, each {"channel", "type", "state" (of a
status), "text" (of an output), "request" (what it answers)}; "language_info", from the kernel_info_reply;
"unanswered" and "never_idle", the requests that got no reply or no idle status within the time allowed.
Run it in the project's Jupyter environment:
    node scripts/jupyter-env.mjs python tests/kernel_status.py report.json
"""

import json
import sys
import time
from pathlib import Path

from jupyter_client.manager import start_new_kernel

ROOT = Path(__file__).resolve().parent.parent
CELL_SECONDS = 3
CELL = f'await new Promise((r) => setTimeout(r, {CELL_SECONDS * 1000}));\nconsole.log("cell finished");'
TIMEOUT_S = 30
# Replies and status messages come on different sockets: a reply the kernel sent just before an idle
# status may reach us a little after it. Before an idle is recorded, replies get this long to arrive.
REPLY_SKEW_S = 0.05


def main():
    km, kc = start_new_kernel(kernel_name="tslab", cwd=str(ROOT / "notebooks"), startup_timeout=TIMEOUT_S)
    try:
        for channel in (kc.iopub_channel, kc.shell_channel):  # what the start-up's kernel_info_request left
            while channel.msg_ready():
                channel.get_msg(timeout=1)
        names = {kc.execute(CELL): "execute_request"}
        time.sleep(CELL_SECONDS / 4)  # the cell is awaiting now
        names[kc.kernel_info()] = "kernel_info_request"
        names[kc.history(hist_access_type="tail", n=10)] = "history_request"
        control = kc.session.msg("kernel_info_request")
        kc.control_channel.send(control)
        names[control["header"]["msg_id"]] = "kernel_info_request (control)"

        timeline, language_info = [], {}
        unanswered, never_idle = set(names), set(names)

        def record(channel, msg):
            request = msg["parent_header"].get("msg_id")
            content = msg["content"]
            timeline.append({"channel": channel, "type": msg["msg_type"], "state": content.get("execution_state"),
                             "text": content.get("text"), "request": names.get(request, request)})
            if msg["msg_type"] == "kernel_info_reply":
                language_info.update(content["language_info"])
            if channel != "iopub":
                unanswered.discard(request)
            elif msg["msg_type"] == "status" and content["execution_state"] == "idle":
                never_idle.discard(request)

        def read_replies():
            for name, channel in (("shell", kc.shell_channel), ("control", kc.control_channel)):
                while channel.msg_ready():
                    record(name, channel.get_msg(timeout=1))

        deadline = time.monotonic() + TIMEOUT_S
        while (unanswered or never_idle) and time.monotonic() < deadline:
            read_replies()
            while kc.iopub_channel.msg_ready():
                msg = kc.iopub_channel.get_msg(timeout=1)
                if msg["content"].get("execution_state") == "idle":
                    time.sleep(REPLY_SKEW_S)
                    read_replies()
                record("iopub", msg)
            time.sleep(0.01)
        report = {"timeline": timeline, "language_info": language_info, "unanswered": sorted(names[m] for m in unanswered),
                  "never_idle": sorted(names[m] for m in never_idle)}
        # To a file: the kernel shares this process's stdout, and what it prints there would cut into the JSON.
        Path(sys.argv[1]).write_text(json.dumps(report, indent=1))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
