// A queue worker in a process of its own: queue-worker.ts <store module> <run|stall> <poll ms> <store args…>. It
// prints `ready` once it works, and `committed <id> <replayed>` once a command's write model has committed (or
// replayed it from its idempotency record); with `stall`, it then hangs there, before the command is marked
// succeeded, until it is killed.
import { counterApp } from './queue-app.js';

const [module, mode, pollIntervalMs, ...args] = process.argv.slice(2);
const app = (await counterApp(module!, args))
  .use({ kind: 'command' }, async (ctx, next) => {
    const result = await next();
    const { replayed } = ctx as unknown as { readonly replayed: boolean };
    process.stdout.write(`committed ${ctx.envelope.id} ${replayed}\n`);
    if (mode === 'stall') await new Promise(() => {});
    return result;
  })
  .worker({ leaseMs: 600, pollIntervalMs: Number(pollIntervalMs), concurrency: 2 });
await app.start();
process.stdout.write('ready\n');
