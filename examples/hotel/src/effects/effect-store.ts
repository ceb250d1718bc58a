import type { AlertView, MailView, RefundView } from '../messages/queries.js';

/** What the side effects leave behind, by kind: the payment provider's refunds, the mail outbox, the pager. */
export interface Effects {
  readonly refunds: RefundView;
  readonly mails: MailView;
  readonly alerts: AlertView;
}

/**
 * Which records to list: those about one booking, or those for one guest (a refund's `guestId`, a mail's `to`).
 * Each is a column of its own with an index, so a list reads only the rows it returns.
 */
export type EffectFilter =
  | { readonly bookingId: string; readonly guestId?: never }
  | { readonly guestId: string; readonly bookingId?: never }
  | { readonly bookingId?: never; readonly guestId?: never };

/** One page of a list, newest first: at most `limit` records older than the cursor `before`. */
export interface PageRequest {
  readonly limit: number;
  /** The `next` of the page before; none for the newest records. */
  readonly before?: string | undefined;
}

/** A page of records, and the cursor that continues after its last one: null when there is nothing older. */
export interface Page<T> {
  readonly items: T[];
  readonly next: string | null;
}

/**
 * Stands in for the outside systems the side effects talk to. Subscribers run at least once, so a record is
 * written under an id derived from its event, and writing it again changes nothing.
 *
 * @example
 * await effects.put('alerts', 'alert-1', { alertId: 'alert-1', bookingId: 'b1', message: 'cancelled', at: 0 });
 * const { items, next } = await effects.list('alerts', {}, { limit: 20 });
 */
export interface EffectStore {
  put<K extends keyof Effects>(kind: K, id: string, record: Effects[K]): Promise<void>;
  /**
   * Records of `kind` that match `filter`, newest first (in the order they were first written), one page at a
   * time: pass a page's `next` as the following request's `before`.
   */
  list<K extends keyof Effects>(kind: K, filter: EffectFilter, page: PageRequest): Promise<Page<Effects[K]>>;
}

/** The columns a record is filtered on: the booking it is about, and the guest it is for (alerts have none). */
export function effectKeys(record: Effects[keyof Effects]): { bookingId: string; guestId: string | null } {
  if ('guestId' in record) return { bookingId: record.bookingId, guestId: record.guestId };
  if ('to' in record) return { bookingId: record.bookingId, guestId: record.to };
  return { bookingId: record.bookingId, guestId: null };
}

/**
 * The cursor of a page is the sequence number of its last record. A malformed one is a caller's mistake the query
 * schema already refuses; here it is a bug.
 */
export function cursorSeq(before: string | undefined): number | undefined {
  if (before === undefined) return undefined;
  const seq = Number(before);
  if (!Number.isSafeInteger(seq) || seq < 1) throw new TypeError(`Not an effect cursor: '${before}'`);
  return seq;
}

/** Cuts the `limit + 1` rows a store read into a page: the extra row only says that there is more. */
export function pageOf<T>(rows: readonly { seq: number; record: T }[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return {
    items: items.map((row) => row.record),
    next: rows.length > limit && items.length > 0 ? String(items[items.length - 1]!.seq) : null,
  };
}

/** An {@link EffectStore} in memory. */
export class MemoryEffectStore implements EffectStore {
  readonly #records = new Map<keyof Effects, Map<string, { seq: number; record: Effects[keyof Effects] }>>();
  #seq = 0;

  async put<K extends keyof Effects>(kind: K, id: string, record: Effects[K]): Promise<void> {
    let records = this.#records.get(kind);
    if (records === undefined) {
      records = new Map();
      this.#records.set(kind, records);
    }
    // Like the SQL stores' upsert: a record written again keeps its place.
    const seq = records.get(id)?.seq ?? ++this.#seq;
    records.set(id, { seq, record: structuredClone(record) });
  }

  async list<K extends keyof Effects>(kind: K, filter: EffectFilter, page: PageRequest): Promise<Page<Effects[K]>> {
    const before = cursorSeq(page.before) ?? Number.POSITIVE_INFINITY;
    const rows = [...(this.#records.get(kind)?.values() ?? [])]
      .filter(({ seq, record }) => {
        const keys = effectKeys(record);
        if (filter.bookingId !== undefined && keys.bookingId !== filter.bookingId) return false;
        if (filter.guestId !== undefined && keys.guestId !== filter.guestId) return false;
        return seq < before;
      })
      .sort((a, b) => b.seq - a.seq)
      .slice(0, page.limit + 1) as { seq: number; record: Effects[K] }[];
    return pageOf(rows, page.limit);
  }
}
