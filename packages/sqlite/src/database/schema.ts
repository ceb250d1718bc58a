import { commandQueueMigrations } from '../command-queue/schema.js';
import type { Migration } from '../connection/migrations.js';
import { eventStoreMigrations } from '../event-store/schema.js';
import { inboxMigrations } from '../inbox/schema.js';
import { outboxMigrations } from '../outbox/schema.js';
import { processMigrations } from '../process-managers/schema.js';
import { documentMigrations, slotMigrations, tableMigrations } from '../read-store/schema.js';
import { checkpointMigrations, deadLetterMigrations } from '../subscriptions/schema.js';

/** Every component's migrations, in the order a handle applies them when it opens its file. */
export const components: readonly { readonly component: string; readonly migrations: readonly Migration[] }[] = [
  { component: 'event-store', migrations: eventStoreMigrations },
  { component: 'projection-slots', migrations: slotMigrations },
  { component: 'documents', migrations: documentMigrations },
  { component: 'tables', migrations: tableMigrations },
  { component: 'checkpoints', migrations: checkpointMigrations },
  { component: 'dead-letters', migrations: deadLetterMigrations },
  { component: 'command-queue', migrations: commandQueueMigrations },
  { component: 'outbox', migrations: outboxMigrations },
  { component: 'process-managers', migrations: processMigrations },
  { component: 'inbox', migrations: inboxMigrations },
];
