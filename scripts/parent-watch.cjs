// @ts-check
// Notices when the process that started this one has ended, so nothing the course starts outlives it:
// scripts/setup.mjs stops JupyterLab when `npm start` is gone, and scripts/tslab-kernel.cjs ends a kernel
// whose JupyterLab is gone (it may have been killed before it could shut its kernels down).
// Linux and macOS give an orphan a new parent; Windows does not, but the old parent's id stops existing.

/** @param {number} pid */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === "EPERM"; // exists, but not ours to signal
  }
}

/**
 * Calls `onGone` once, within `intervalMs`, after this process's parent or any of `others` has ended.
 * The check's timer does not keep Node running.
 * @param {() => void} onGone
 * @param {number[]} [others] further processes to watch, e.g. the npm that started the parent shell
 */
function whenParentGone(onGone, others = [], intervalMs = 1000) {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent && [parent, ...others].every(alive)) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
}

module.exports = { whenParentGone };
