import type { Step } from '../protocol/run.js';

/** The inbox table of one database, as {@link receiveOnce} drives it. */
export interface InboxDialect<Tx> {
  /**
   * Inside `tx`, records that `consumer` received `messageId` at `at` (ms since the epoch), unless it is recorded
   * already; true when this call recorded it. Where transactions run at once (PostgreSQL), a second transaction
   * recording the same message waits until the first ends.
   */
  record(tx: Tx, consumer: string, messageId: string, at: number): Step<boolean>;
  /** Whether the message is recorded, outside any transaction. */
  recorded(consumer: string, messageId: string): Step<boolean>;
  /** Deletes the marks of `consumer` recorded before `before` (ms since the epoch); how many it deleted. */
  prune(consumer: string, before: number): Step<number>;
}
