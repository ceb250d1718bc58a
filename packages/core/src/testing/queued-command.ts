import type { NewQueuedCommand } from '../command-queue/records.js';

/** The time the queue contracts' commands are enqueued and due at: 2023-11-14, in ms since the epoch. */
export const T0 = 1_700_000_000_000;

/**
 * A new command for a queue test, with the given fields and the rest filled in: type `test.DoIt`, a JSON payload,
 * an envelope with a principal, a tenant and metadata, no key, priority 0, enqueued and due at 1,700,000,000,000 ms since the epoch.
 *
 * @example
 * await db.commands.enqueue(queuedCommand('c1', { key: 'order-7' }));
 */
export function queuedCommand(id: string, fields: Partial<NewQueuedCommand> = {}): NewQueuedCommand {
  return {
    id,
    type: 'test.DoIt',
    data: { id, list: [1, 'two', null] },
    envelope: {
      correlationId: `corr-${id}`,
      causationId: undefined,
      principal: { id: 'ada', roles: ['clerk'] },
      tenant: 't1',
      metadata: { trace: 'x' },
      idempotencyKey: undefined,
    },
    key: undefined,
    priority: 0,
    runAt: T0,
    enqueuedAt: T0,
    ...fields,
  };
}
