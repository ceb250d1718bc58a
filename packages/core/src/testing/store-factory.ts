import { afterEach, expect } from 'vitest';
import type { WriteStore } from '../event-store/ports.js';
import type { NewEvent } from '../event-store/records.js';
import type { Upcaster } from '../event-store/upcasters.js';
import { type GlobalPosition, START } from '../positions/position.js';

/** Makes a fresh, empty store for one test; `close` (if any) runs after it. */
export type StoreFactory = (options: { readonly upcasters: readonly Upcaster[] }) =>
  | Promise<{
      readonly store: WriteStore;
      /** Lets go of the store after the test. */
      close?(): void | Promise<void>;
    }>
  | {
      readonly store: WriteStore;
      /** Lets go of the store after the test. */
      close?(): void | Promise<void>;
    };

/** `count` new events of one type, labelled `${prefix}1`, `${prefix}2`… */
export const events = (count: number, prefix = 'e'): NewEvent[] =>
  Array.from({ length: count }, (_, i) => ({ type: 'test.Happened', data: { n: i + 1, label: `${prefix}${i + 1}` } }));

/** Positions must increase strictly; a store may leave gaps between them (PostgreSQL does, SQLite does not). */
export function expectIncreasing(positions: readonly GlobalPosition[]): void {
  expect(positions.every((p, i) => p > (i === 0 ? START : positions[i - 1]!))).toBe(true);
}

/** What `promise` rejects with, or undefined when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** Opens a fresh store per call within a test, and closes each after the test. */
export function setup(factory: StoreFactory) {
  const closers: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  return async (upcasters: readonly Upcaster[] = []): Promise<WriteStore> => {
    const { store, close } = await factory({ upcasters });
    if (close) closers.push(close);
    return store;
  };
}

/**
 * Opens a fresh subject (a store, a queue, a handle's stores) per call within a test, and closes each after the
 * test.
 */
export function opener<S extends { close(): void | Promise<void> }>(factory: () => S | Promise<S>): () => Promise<S> {
  const opened: S[] = [];
  afterEach(async () => {
    for (const subject of opened.splice(0)) await subject.close();
  });
  return async () => {
    const subject = await factory();
    opened.push(subject);
    return subject;
  };
}
