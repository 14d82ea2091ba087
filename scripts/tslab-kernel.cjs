// Starts the tslab kernel with fixes; the zeromq one is here. tslab 1.0.22 sends on its zeromq sockets
// without waiting for the previous send to finish; zeromq 6 then throws "Socket is busy writing" (EBUSY)
// when two sends overlap, which happens after about 500 quick outputs (a live plot, a long loop of logs),
// and the unhandled rejection kills the kernel; a send while the socket is still binding fails the same
// way, and so does one after tslab closed the socket (its reply to a shutdown_request). Here each
// socket's sends wait for its bind and for each other, closing waits for the sends, and the publisher
// (the outputs) keeps every message for a slow reader instead of dropping some.
// Jupyter starts this file as `<absolute node> scripts/tslab-kernel.cjs kernel --config-path <file>`
// (the kernel.json that scripts/setup.mjs registers), so no shebang and no `node` on PATH are needed.
// The other fixes are in their own files, required here before tslab starts: plain errors
// (kernel-errors.cjs), a busy status for as long as a cell runs (kernel-requests.cjs), and an end
// when the kernel's parent (JupyterLab, or a test's client) has ended (parent-watch.cjs).
const zmq = require("zeromq");

const previousSend = new WeakMap(); // socket -> its last send (sockets are sealed objects)
for (const name of ["Publisher", "Router", "Reply"]) {
  const Socket = zmq[name];
  zmq[name] = class extends Socket {
    constructor(options) {
      // A publisher (the outputs) drops messages silently once 1,000 wait for a slow reader: 1,470 to
      // 1,499 of 1,500 quick outputs arrived through nbclient. noDrop did not stop it; no limit does:
      // outputs wait in the kernel's memory until the reader takes them.
      super(name === "Publisher" ? { sendHighWaterMark: 0, ...options } : options);
    }

    bind(address) {
      const bound = super.bind(address);
      previousSend.set(this, bound.catch(() => undefined)); // the bind's own caller sees its errors
      return bound;
    }

    send(message) {
      const sent = (previousSend.get(this) ?? Promise.resolve()).then(() => super.send(message));
      previousSend.set(this, sent.catch((err) => console.error(`tslab-kernel: a ${name} send failed: ${err.message}`)));
      return sent;
    }

    close() {
      // tslab closes its sockets right after its reply to a shutdown_request: send what is queued first.
      (previousSend.get(this) ?? Promise.resolve()).then(() => super.close());
    }
  };
}

require("./kernel-errors.cjs").installPlainErrors();
require("./kernel-requests.cjs").installRequestHandling();
require("./parent-watch.cjs").whenParentGone(() => process.exit(0));
require("tslab/dist/main.js").main();
