/**
 * Closes the process's work once, on the first SIGINT or SIGTERM: prints `<SIGNAL>: stopping`, runs `close`, then
 * prints `stopped` (or the error, and the process exits non-zero). With `leaveAfterMs`, whatever still holds the
 * event loop after that long does not keep the process alive.
 *
 * @example
 * stopOnSignals(() => app.close(), 5000);
 */
export function stopOnSignals(close: () => Promise<void>, leaveAfterMs?: number): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.log(`${signal}: stopping`);
      if (leaveAfterMs !== undefined) setTimeout(() => process.exit(1), leaveAfterMs).unref();
      close().then(
        () => console.log('stopped'),
        (error: unknown) => {
          console.error(error);
          process.exitCode = 1;
        },
      );
    });
  }
}
