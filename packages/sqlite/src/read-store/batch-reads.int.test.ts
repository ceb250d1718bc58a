import { readdirSync, readlinkSync } from 'node:fs';
import { type GlobalPosition, START } from '@twofold/core';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../tests/temp-dir.js';
import { type SqliteDatabase, sqlite } from '../index.js';

const temp = tempDir();
const handles: SqliteDatabase[] = [];
afterEach(async () => {
  for (const db of handles.splice(0)) await db.close();
});
function open(path = temp.file('reads')): SqliteDatabase {
  const db = sqlite(path);
  handles.push(db);
  return db;
}

const a = { projection: 'a', version: 1 };
const b = { projection: 'b', version: 1 };
const at = (n: number) => n as GlobalPosition;
type Counter = { n: number };

describe('SqliteDocumentStore batch reads', () => {
  it("read what was committed before each batch, while another batch holds its reads open and the handle's connection commits", async () => {
    const { documents } = open();
    const count = (slot: typeof a, from: number) =>
      documents.commit(slot, at(from), at(from + 1), async (tx) => {
        const counters = tx.collection<Counter>('counters');
        const found = await counters.get('c');
        counters.put('c', { n: (found?.n ?? 0) + 1 });
      });
    await count(a, 0);
    await documents.activate(a);
    await documents.activate(b);

    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    // This batch reads first, then waits: its reads stay open across the other projection's batches.
    const held = documents.commit(a, at(1), at(2), async (tx) => {
      const counters = tx.collection<Counter>('counters');
      const found = await counters.get('c');
      await released;
      counters.put('c', { n: (found?.n ?? 0) + 1 });
    });
    for (let i = 0; i < 3; i++) await count(b, i);
    expect(await documents.read('b').collection<Counter>('counters').get('c')).toEqual({ n: 3 });
    release();
    await held;
    for (let i = 2; i < 4; i++) await count(a, i);
    expect(await documents.read('a').collection<Counter>('counters').get('c')).toEqual({ n: 4 });
    expect(await documents.checkpoint(a)).toBe(4);
  });

  it("read on the handle's connection in an in-memory database", async () => {
    const { documents } = open(':memory:');
    for (let i = 0; i < 3; i++) {
      await documents.commit(a, at(i), at(i + 1), async (tx) => {
        const counters = tx.collection<Counter>('counters');
        counters.put('c', { n: ((await counters.get('c'))?.n ?? 0) + 1 });
      });
    }
    await documents.activate(a);
    expect(await documents.read('a').collection<Counter>('counters').get('c')).toEqual({ n: 3 });
  });

  // Counts the process's open descriptors through /proc: the suite runs on Linux.
  it('let go of the file when the handle closes', async () => {
    const path = temp.file('closed');
    const opened = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === path;
        } catch {
          return false;
        }
      }).length;
    // No background checkpointer, whose thread opens the file when it likes.
    const db = sqlite({ path, checkpoint: 'inline' });
    await db.documents.commit(a, START, at(1), (tx) => tx.collection<Counter>('counters').put('c', { n: 1 }));
    await db.documents.commit(a, at(1), at(2), async (tx) => {
      expect(await tx.collection<Counter>('counters').get('c')).toEqual({ n: 1 });
    });
    // The handle's connection and the one batches read through.
    expect(opened()).toBe(2);
    await db.close();
    expect(opened()).toBe(0);
  });
});
