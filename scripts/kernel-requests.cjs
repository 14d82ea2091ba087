// @ts-check
// The kernel's busy/idle status, true for as long as a cell runs. tslab 1.0.22 handles each request the
// moment it arrives, even while a cell awaits, and publishes "busy" before and "idle" after each one: a
// kernel_info_request or history_request (JupyterLab sends both on opening a notebook) during an awaited
// cell published "idle" while the cell still ran, and JupyterLab's status bar and /api/kernels said Idle
// through a minute of training. Here, as in ipykernel, the requests of one socket are handled one after
// another (a shell request waits for the running cell), and "idle" is published only once no request is
// in hand (a control request answered during a cell gets its "idle" after the cell's).
// tslab does not know history_request: it warned "unknown msg_type" (into the running cell's output, or
// the terminal) and never replied; here the reply is an empty history.
// scripts/tslab-kernel.cjs requires this file before it starts tslab.
const { ZmqServer } = require("tslab/dist/jupyter.js");

const tslab = { handleShellMessage: ZmqServer.prototype.handleShellMessage, publishStatus: ZmqServer.prototype.publishStatus };
/** Requests tslab does not handle, answered here: request type -> [reply type, reply content]. */
const OWN_REPLIES = { history_request: ["history_reply", { status: "ok", history: [] }] };

const queues = new WeakMap(); // socket (shell or control) -> the handling of its latest request
let inHand = 0; // requests between their "busy" and their "idle"
const idleOwed = []; // requests done while others were still in hand

/**
 * @this {any} tslab's ZmqServer
 * @param {any} socket
 * @param {Buffer[]} frames
 */
function handleInOrder(socket, ...frames) {
  const handled = (queues.get(socket) ?? Promise.resolve()).then(() => tslab.handleShellMessage.call(this, socket, ...frames));
  queues.set(socket, handled.catch(() => undefined)); // the failure itself reaches tslab's unhandledRejection report
  return handled;
}

/**
 * tslab calls this with "busy" when it starts on a request (after parsing it) and "idle" when it is done.
 * @this {any} tslab's ZmqServer
 * @param {"busy" | "idle"} status
 * @param {any} request tslab's parsed message
 */
function publishStatus(status, request) {
  if (status === "busy") {
    inHand += 1;
    tslab.publishStatus.call(this, "busy", request);
    const own = OWN_REPLIES[request.header.msg_type];
    if (own) {
      const reply = request.createReply();
      [reply.header.msg_type, reply.content] = own;
      reply.signAndSend(this.connInfo.key, this.shell);
    }
    return;
  }
  inHand -= 1;
  idleOwed.push(request);
  if (inHand === 0) for (const done of idleOwed.splice(0)) tslab.publishStatus.call(this, "idle", done);
}

/** Installs both, and drops tslab's "unknown msg_type" warning for the requests answered here. */
function installRequestHandling() {
  Object.assign(ZmqServer.prototype, { handleShellMessage: handleInOrder, publishStatus });
  const warn = console.warn;
  const answered = new Set(Object.keys(OWN_REPLIES).map((type) => `unknown msg_type: ${type}`));
  console.warn = (...args) => {
    if (!(args.length === 1 && answered.has(args[0]))) warn(...args);
  };
}

module.exports = { installRequestHandling };
