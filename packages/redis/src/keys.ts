import { InvalidArgumentError, type ProjectionSlot } from '@twofold/core';

/**
 * Where the store keeps things in Redis. Every key of one version of one projection starts with
 * `{prefix}:{projection}@{version}:`, so that a version is dropped by one SCAN over `{prefix}:{projection}@*`:
 *
 * - `{prefix}:{projection}:active`: the version queries read;
 * - `{prefix}:{projection}@{version}:checkpoint`: the last position applied;
 * - `{prefix}:{projection}@{version}:doc:{collection}`: a hash of JSON documents by id.
 */
export class KeyLayout {
  readonly prefix: string;

  constructor(prefix: string) {
    if (typeof prefix !== 'string' || prefix.length === 0) {
      throw new InvalidArgumentError(
        `redis(): options.prefix must be a non-empty string; got ${JSON.stringify(prefix)}`,
      );
    }
    this.prefix = prefix;
  }

  /** The pointer to the version queries read. */
  active(projection: string): string {
    return `${this.prefix}:${checkProjection(projection)}:active`;
  }

  /** What every key of every version of `projection` starts with, up to the version number. */
  versions(projection: string): string {
    return `${this.prefix}:${checkProjection(projection)}@`;
  }

  /** What every key of `slot` starts with. */
  slot(slot: ProjectionSlot): string {
    const version = slot?.version;
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new InvalidArgumentError(
        `A projection version must be an integer >= 1; got ${String(version)} for ${JSON.stringify(slot?.projection)}`,
      );
    }
    return `${this.versions(slot.projection)}${version}:`;
  }

  checkpoint(slot: ProjectionSlot): string {
    return `${this.slot(slot)}checkpoint`;
  }

  /** The hash of a collection's documents in `slot`. */
  documents(slot: ProjectionSlot, collection: string): string {
    return `${this.slot(slot)}${documentsSuffix(collection)}`;
  }

  /** A SCAN pattern matching every key of every version of `projection`. */
  scanPattern(projection: string): string {
    return `${this.versions(projection).replace(/[*?[\]\\^]/g, '\\$&')}*`;
  }

  /** The version a key found by {@link scanPattern} belongs to (NaN for a key the store did not write). */
  versionOf(projection: string, key: string): number {
    const rest = key.slice(this.versions(projection).length);
    const end = rest.indexOf(':');
    return end < 1 ? Number.NaN : Number(rest.slice(0, end));
  }
}

/** What follows the version in the key of a collection's hash: `:doc:{collection}`. */
export function documentsSuffix(collection: string): string {
  if (typeof collection !== 'string' || collection.length === 0) {
    throw new InvalidArgumentError(`A collection name must be a non-empty string; got ${JSON.stringify(collection)}`);
  }
  return `doc:${collection}`;
}

/** A projection, or its name. */
export type ProjectionRef = string | { readonly name: string };

/** The name of `projection`, checked. */
export function projectionName(projection: ProjectionRef): string {
  return checkProjection(typeof projection === 'string' ? projection : projection?.name);
}

// ':' and '@' delimit the parts of a key, so a name holding them could reach into another projection's keys.
function checkProjection(projection: string | undefined): string {
  if (typeof projection !== 'string' || !/^[^:@]+$/.test(projection)) {
    throw new InvalidArgumentError(
      `A projection name must be a non-empty string without ':' or '@'; got ${JSON.stringify(projection)}`,
    );
  }
  return projection;
}
