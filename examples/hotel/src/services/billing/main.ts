// The billing service as a process of its own: `npm run billing` in examples/hotel, with `NATS_URL` set (the
// hotel started with the same NATS_URL talks to it). It keeps its refunds in `billing.db` in DATA_DIR (default:
// `data/` in the hotel's folder), takes the hotel's refund requests in from JetStream through its inbox, and
// sends `billing.RefundIssued` back through its outbox. SIGTERM or SIGINT stops it.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopOnSignals } from '../../app/signals.js';
import { natsTransport } from '../nats-transport.js';
import { createBilling } from './service.js';

const url = process.env.NATS_URL;
if (!url) throw new Error('NATS_URL is not set: billing runs as a process of its own only over NATS JetStream');
const root = fileURLToPath(new URL('../../..', import.meta.url));
const path = join(resolve(process.env.DATA_DIR ?? join(root, 'data')), 'billing.db');
const billing = createBilling(path);
const transport = await natsTransport(url, 'billing', billing);
billing.start();
await transport.start();
console.log(`Twofold Hotel billing ${process.pid}: refunds in ${path}, over NATS at ${url}`);

stopOnSignals(async () => {
  await transport.stop();
  await billing.close();
});
