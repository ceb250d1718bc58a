/** A timer as `setTimeout` and `setInterval` return it, on Node and in a browser. */
export type Timer = ReturnType<typeof setTimeout>;

/**
 * Lets the process exit while `timer` is pending, where the runtime has that notion (Node's timers have `unref`, a
 * browser's are plain numbers): background work such as lease renewals and wake-ups must not keep a process alive.
 */
export function unrefTimer(timer: Timer): void {
  (timer as { unref?: () => void }).unref?.();
}

// setImmediate runs after the I/O callbacks of the current turn; elsewhere a zero timeout does the same job.
// Looked up on globalThis: core also compiles for browsers, whose types have no setImmediate.
const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;

/**
 * Calls `callback` at the end of the event loop's current turn, after the I/O callbacks already due: work that
 * several callers of one turn ask for (a read, a commit) can then be done once for all of them.
 */
export function atEndOfTurn(callback: () => void): void {
  if (immediate !== undefined) immediate(callback);
  else setTimeout(callback, 0);
}

/** Resolves at the end of the event loop's current turn; see {@link atEndOfTurn}. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => atEndOfTurn(resolve));
}
