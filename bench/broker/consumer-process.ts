// The receiving service as a process of its own: a NatsConsumer named `billing` on the nats-server at argv[3]
// (stream argv[4], prefix argv[5]) writes one invoice row per event into the SQLite file at argv[2] through its
// inbox, and prints `handled <event id> <ms on the monotonic clock>` once each row has committed.
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsConsumer } from '@twofold/nats';
import { type SqliteConnection, sqlite } from '@twofold/sqlite';
import { invoicing } from './receiver.js';

const [path, url, stream, prefix] = process.argv.slice(2) as [string, string, string, string];
const db = sqlite(path);
const nc = await connect({ servers: url });
const consumer = new NatsConsumer<SqliteConnection>({
  jetstream: jetstream(nc),
  stream,
  prefix,
  name: 'billing',
  ...invoicing(db, (id, at) => console.log(`handled ${id} ${at}`)),
});
await consumer.start();
console.log('ready');
