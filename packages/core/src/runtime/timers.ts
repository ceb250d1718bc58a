/** A timer as `setTimeout` and `setInterval` return it, on Node and in a browser. */
export type Timer = ReturnType<typeof setTimeout>;

/**
 * Lets the process exit while `timer` is pending, where the runtime has that notion (Node's timers have `unref`, a
 * browser's are plain numbers): background work such as lease renewals and wake-ups must not keep a process alive.
 */
export function unrefTimer(timer: Timer): void {
  (timer as { unref?: () => void }).unref?.();
}
