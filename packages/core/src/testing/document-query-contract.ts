import fc from 'fast-check';
import { expect, it } from 'vitest';
import { isTwofoldError } from '../errors/errors.js';
import type { GlobalPosition } from '../positions/position.js';
import { MAX_DOCUMENT_LIMIT } from '../projections/document-query.js';
import type { ProjectionSlot } from '../projections/ports.js';
import type { DocumentStoreUnderTest } from './document-store-contract.js';

// Documents of any fields: every field may be filtered and ordered on.
type Doc = Record<string, unknown>;

const at = (n: number) => n as GlobalPosition;
const v1: ProjectionSlot = { projection: 'rooms', version: 1 };

interface Row {
  readonly kind: string;
  readonly n?: number | null;
  readonly s?: string;
}

// What every store must answer, worked out here in plain code: missing and null first, then numbers by value,
// then strings by code point; ties by id; the reverse for 'desc'.
function expected(rows: Record<string, Row>, field: 'n' | 's', desc: boolean, kind?: string): string[] {
  const rank = (v: unknown) => (v === undefined || v === null ? 0 : typeof v === 'number' ? 1 : 2);
  const text = (a: string, b: string) => {
    const x = [...a].map((c) => c.codePointAt(0)!);
    const y = [...b].map((c) => c.codePointAt(0)!);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  };
  const value = (r: Row) => r[field];
  const compare = ([a, ra]: [string, Row], [b, rb]: [string, Row]) => {
    const va = value(ra);
    const vb = value(rb);
    const byValue =
      rank(va) - rank(vb) ||
      (typeof va === 'number' && typeof vb === 'number' ? va - vb : 0) ||
      (typeof va === 'string' && typeof vb === 'string' ? text(va, vb) : 0);
    return (desc ? -1 : 1) * (Math.sign(byValue) || Math.sign(text(a, b)));
  };
  return Object.entries(rows)
    .filter(([, r]) => kind === undefined || r.kind === kind)
    .sort(compare)
    .map(([id]) => id);
}

/**
 * The ordered, limited and paged queries of a document store (`find` with options, `page`): the part of
 * {@link documentStoreContract} that checks them, on committed documents and inside a transaction.
 */
export function documentQueryContract(open: () => Promise<DocumentStoreUnderTest>): void {
  const seed = async (store: DocumentStoreUnderTest, rows: Record<string, Row>, position = 0) => {
    await store.commit(v1, at(position), at(position + 1), (tx) => {
      for (const [id, row] of Object.entries(rows)) tx.collection<Doc>('rows').put(id, { ...row, id });
    });
  };
  const ids = (documents: unknown[]) => documents.map((d) => (d as { id: string }).id);

  const sample: Record<string, Row> = {
    a: { kind: 'x', n: 3, s: 'b' },
    b: { kind: 'y', n: 1, s: 'B' },
    c: { kind: 'x', n: 3, s: 'é' },
    d: { kind: 'x', s: 'a' },
    e: { kind: 'y', n: null, s: 'ab' },
    f: { kind: 'x', n: -2.5, s: '' },
    g: { kind: 'x', n: 10, s: 'z' },
  };

  it('orders by a field, ascending or descending, missing and null first, ties by id, and cuts to a limit', async () => {
    const store = await open();
    await store.activate(v1);
    await seed(store, sample);
    const rows = store.read('rooms').collection<Doc>('rows');
    for (const field of ['n', 's'] as const) {
      for (const direction of ['asc', 'desc'] as const) {
        const all = expected(sample, field, direction === 'desc');
        expect(ids(await rows.find(undefined, { orderBy: { field, direction } }))).toEqual(all);
        expect(ids(await rows.find(undefined, { orderBy: { field, direction }, limit: 3 }))).toEqual(all.slice(0, 3));
        expect(ids(await rows.find({ kind: 'x' }, { orderBy: { field, direction }, limit: 4 }))).toEqual(
          expected(sample, field, direction === 'desc', 'x').slice(0, 4),
        );
      }
    }
    expect(ids(await rows.find(undefined, { orderBy: { field: 'n' } }))).toEqual(expected(sample, 'n', false));
    expect(ids(await rows.find(undefined, { limit: 2 }))).toEqual(['a', 'b']);
    expect(await rows.find({ kind: 'none' }, { orderBy: { field: 'n' }, limit: 5 })).toEqual([]);
    expect(await store.read('rooms').collection<Doc>('never').find(undefined, { limit: 5 })).toEqual([]);
  });

  it('pages through every document exactly once, in order, with filters, in both directions (property)', async () => {
    const store = await open();
    await store.activate(v1);
    const row = fc.record(
      {
        kind: fc.constantFrom('x', 'y'),
        n: fc.oneof(
          fc.integer({ min: -3, max: 3 }),
          fc.constant(null),
          fc.double({ noNaN: true, min: -1e9, max: 1e9 }),
        ),
        s: fc.constantFrom('', 'a', 'A', 'ab', 'é', 'b'),
      },
      { requiredKeys: ['kind'] },
    );
    let position = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.stringMatching(/^[a-z0-9]{1,4}$/), row, { maxKeys: 14 }),
        fc.constantFrom('n', 's') as fc.Arbitrary<'n' | 's'>,
        fc.boolean(),
        fc.option(fc.constantFrom('x', 'y'), { nil: undefined }),
        fc.integer({ min: 1, max: 5 }),
        async (rows, field, desc, kind, limit) => {
          const collection = `p${position}`;
          await store.commit(v1, at(position), at(position + 1), (tx) => {
            for (const [id, r] of Object.entries(rows)) tx.collection<Doc>(collection).put(id, { ...r, id });
          });
          position++;
          const reader = store.read('rooms').collection<Doc>(collection);
          const where = kind === undefined ? undefined : { kind };
          const orderBy = { field, direction: desc ? ('desc' as const) : ('asc' as const) };
          const seen: string[] = [];
          let after: string | undefined;
          for (let pages = 0; pages < 20; pages++) {
            const page = await reader.page(where, { orderBy, limit, ...(after === undefined ? {} : { after }) });
            expect(page.items.length).toBeLessThanOrEqual(limit);
            seen.push(...page.items.map((d) => (d as { id: string }).id));
            if (page.next === null) break;
            expect(page.items.length).toBe(limit);
            after = page.next;
          }
          expect(seen).toEqual(expected(rows, field, desc, kind));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('pages inside a transaction over committed documents and its own writes', async () => {
    const store = await open();
    await store.activate(v1);
    await seed(store, { a: { kind: 'x', n: 5 }, b: { kind: 'x', n: 1 }, c: { kind: 'x', n: 3 } });
    await store.commit(v1, at(1), at(2), async (tx) => {
      const rows = tx.collection<Doc>('rows');
      rows.put('d', { kind: 'x', n: 2, id: 'd' });
      rows.delete('a');
      expect(await rows.update('b', { n: 9 })).toBe(true);
      const orderBy = { field: 'n', direction: 'desc' } as const;
      const first = await rows.page({ kind: 'x' }, { orderBy, limit: 2 });
      expect(ids(first.items)).toEqual(['b', 'c']);
      expect(first.items[0]).toEqual({ kind: 'x', n: 9, id: 'b' });
      const second = await rows.page({ kind: 'x' }, { orderBy, limit: 2, after: first.next! });
      expect(second).toEqual({ items: [{ kind: 'x', n: 2, id: 'd' }], next: null });
      expect(await rows.find(undefined, { orderBy: { field: 'n' }, limit: 1 })).toEqual([{ kind: 'x', n: 2, id: 'd' }]);
    });
    expect(await store.checkpoint(v1)).toBe(2);
  });

  it('refuses bad options with INVALID_ARGUMENT: direction, field, limit, a malformed or foreign cursor', async () => {
    const store = await open();
    await store.activate(v1);
    await seed(store, { a: { kind: 'x', n: 1 }, b: { kind: 'x', n: 2 } });
    const rows = store.read('rooms').collection<Doc>('rows');
    const refusal = async (call: () => unknown) => {
      const error = await (async () => call())().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isTwofoldError(error, 'INVALID_ARGUMENT')).toBe(true);
      return (error as Error).message;
    };
    const page = await rows.page(undefined, { orderBy: { field: 'n' }, limit: 1 });
    expect(page.next).not.toBeNull();
    const bad: [unknown, RegExp][] = [
      [{ orderBy: { field: 'n', direction: 'up' }, limit: 1 }, /direction must be 'asc' or 'desc'/],
      [{ orderBy: { field: 'a.b' }, limit: 1 }, /orderBy.field must be a top-level field name/],
      [{ orderBy: { field: 'n' }, limit: 0 }, new RegExp(`limit must be an integer from 1 to ${MAX_DOCUMENT_LIMIT}`)],
      [{ limit: MAX_DOCUMENT_LIMIT + 1 }, /limit must be an integer/],
      [{ limit: 1.5 }, /limit must be an integer/],
      [{ orderBy: { field: 'n' } }, /a page needs a limit/],
      [{ orderBy: { field: 'n' }, limit: 1, after: 'not a cursor!' }, /after must be the next of a page/],
      [{ orderBy: { field: 'n' }, limit: 1, after: 'e30' }, /after must be the next of a page/],
      [{ orderBy: { field: 'n' }, limit: 1, after: page.next!.slice(0, -3) }, /after must be the next of a page/],
      [{ orderBy: { field: 'n', direction: 'desc' }, limit: 1, after: page.next }, /belongs to the order n asc/],
      [{ limit: 1, after: page.next }, /belongs to the order n asc, not to id asc/],
    ];
    for (const [options, message] of bad) {
      expect(await refusal(() => rows.page(undefined, options as never))).toMatch(message);
    }
    expect(await refusal(() => rows.find(undefined, { limit: -1 }))).toMatch(/limit must be an integer/);
    expect(await refusal(() => rows.find(undefined, { orderBy: { field: 'n', direction: 'DESC' as 'desc' } }))).toMatch(
      /direction/,
    );
    expect(await store.checkpoint(v1)).toBe(1);
    expect(await rows.count()).toBe(2);
  });
}
