// Types for scripts/kernel-errors.cjs (plain Node: the kernel launcher requires it).
/** The text shown for an error a cell threw: message first, then the frames worth reading. */
export function describeError(error: Error): string;
/** Makes console.error(error) print describeError(error); other calls print as before. */
export function installPlainErrors(): void;
