import type { AlertView, MailView, RefundView } from '../messages/queries.js';

/** What the side effects leave behind, by kind: the payment provider's refunds, the mail outbox, the pager. */
export interface Effects {
  readonly refunds: RefundView;
  readonly mails: MailView;
  readonly alerts: AlertView;
}

/**
 * Stands in for the outside systems the side effects talk to. Subscribers run at least once, so a record is
 * written under an id derived from its event, and writing it again changes nothing.
 */
export interface EffectStore {
  put<K extends keyof Effects>(kind: K, id: string, record: Effects[K]): Promise<void>;
  /** Records whose fields equal every value in `where`, newest first. */
  list<K extends keyof Effects>(kind: K, where?: Partial<Effects[K]>): Promise<Effects[K][]>;
}

/** An {@link EffectStore} in memory. */
export class MemoryEffectStore implements EffectStore {
  readonly #records = new Map<keyof Effects, Map<string, Effects[keyof Effects]>>();

  async put<K extends keyof Effects>(kind: K, id: string, record: Effects[K]): Promise<void> {
    let records = this.#records.get(kind);
    if (records === undefined) {
      records = new Map();
      this.#records.set(kind, records);
    }
    records.set(id, structuredClone(record));
  }

  async list<K extends keyof Effects>(kind: K, where: Partial<Effects[K]> = {}): Promise<Effects[K][]> {
    const records = [...(this.#records.get(kind)?.values() ?? [])] as Effects[K][];
    const wanted = Object.entries(where);
    // Newest first; of two at the same millisecond, the one written last.
    return records
      .filter((record) => wanted.every(([key, value]) => (record as Record<string, unknown>)[key] === value))
      .reverse()
      .sort((a, b) => b.at - a.at);
  }
}
