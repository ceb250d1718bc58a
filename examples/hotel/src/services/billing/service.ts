import { CommandWorker, createMediator, type Logger, type RecordedEvent, streamId, writeModels } from '@twofold/core';
import { natsOutbox } from '@twofold/nats';
import { type SqliteConnection, type SqliteDatabase, sqlite } from '@twofold/sqlite';
import { RefundRequested } from '../../cancellation/messages.js';
import { commandOf, type Receiver, receivedData } from '../transport.js';
import { IssueRefund, RefundIssued, refunds } from './refunds.js';

/** The billing service: its own database, write model and worker, and what it takes in from the hotel. */
export interface Billing {
  /** Billing's own SQLite handle: its events, queue, inbox and outbox. */
  readonly db: SqliteDatabase;
  /** The hotel's refund requests, taken in through billing's inbox. */
  readonly receiver: Receiver<SqliteConnection>;
  /** Where `billing.RefundIssued` waits to go back to the hotel. */
  readonly outbox: SqliteDatabase['outbox'];
  start(): this;
  /** Stops the worker and closes the database. */
  close(): Promise<void>;
}

/**
 * Billing's receiving end on its database `db`: a `hotel.RefundRequested` whose data matches the event's schema
 * enqueues `billing.IssueRefund` in the inbox's transaction; one that does not fails with VALIDATION_FAILED naming
 * each field, and so is parked as a dead letter after its last delivery.
 *
 * @example
 * const receiver = billingReceiver(sqlite('data/billing.db'));
 */
export function billingReceiver(db: SqliteDatabase): Receiver<SqliteConnection> {
  return {
    name: 'billing',
    types: [RefundRequested.type],
    inbox: db.inbox,
    deadLetters: db.deadLetters,
    handle: (event: RecordedEvent, tx) => {
      const { bookingId, guestId, amount } = receivedData(RefundRequested, event);
      db.commands.enqueueIn(
        tx,
        commandOf(event, { type: IssueRefund.type, data: { bookingId, guestId, amount }, key: bookingId }),
      );
    },
  };
}

/**
 * Opens billing on its own SQLite file (`:memory:` in tests). A refund request from the hotel enqueues
 * `billing.IssueRefund` in the inbox's transaction; billing's worker runs it through the refund write model, whose
 * commit writes `billing.RefundIssued` into billing's outbox, for the transport to carry back to the hotel.
 *
 * @example
 * const billing = createBilling('data/billing.db').start();
 */
export function createBilling(path: string, options: { readonly logger?: Logger } = {}): Billing {
  const db = sqlite(path);
  const models = writeModels({
    store: db.events,
    participants: [natsOutbox(db.outbox, { types: [RefundIssued.type] })],
  });
  const mediator = createMediator(options.logger === undefined ? {} : { logger: options.logger }).command(
    IssueRefund,
    models.eventSourced(refunds, { stream: ({ data }) => streamId('refund', data.bookingId) }),
  );
  const worker = new CommandWorker({ store: db.commands, mediator });
  const receiver = billingReceiver(db);
  return {
    db,
    receiver,
    outbox: db.outbox,
    start() {
      worker.start();
      return this;
    },
    close: async () => {
      await worker.stop();
      await db.close();
    },
  };
}
