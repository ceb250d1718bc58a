/**
 * The inbox of a receiving service: which messages each consumer has already taken in. A message's effect and
 * its inbox mark commit in one transaction, so a message delivered again (a broker redelivers what it saw no
 * ack for) is a no-op: its effect happens exactly once.
 *
 * @example
 * const fresh = await db.inbox.receive('billing', message.id, (tx) => {
 *   tx.prepare('INSERT INTO invoices (booking) VALUES (?)').run(message.data.bookingId);
 * });
 * // fresh is false when 'billing' had taken message.id in before: nothing ran.
 */
export interface InboxStore<Tx = unknown> {
  /**
   * Runs `effect` and records `messageId` as received by `consumer`, in one transaction: when `effect` throws,
   * neither is kept. Resolves true when it ran, false (running nothing) when `consumer` received the message
   * before. A delivery of the same message running at the same time waits for this one, then does nothing.
   */
  receive(consumer: string, messageId: string, effect: (tx: Tx) => void | Promise<void>): Promise<boolean>;
  /** Whether `consumer` has received `messageId`. */
  received(consumer: string, messageId: string): Promise<boolean>;
  /**
   * Forgets the marks of the messages `consumer` received before `before`, so that the inbox does not grow
   * forever; resolves with how many it forgot. A message delivered again after its mark is gone runs again: keep
   * marks for longer than the broker can redeliver or republish a message.
   *
   * @example
   * await db.inbox.pruneBefore('billing', new Date(Date.now() - 7 * 24 * 3_600_000)); // keep a week
   */
  pruneBefore(consumer: string, before: Date): Promise<number>;
}
