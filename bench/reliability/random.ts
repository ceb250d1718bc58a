/** A seeded source of random numbers (mulberry32), so that a failing run can be repeated with its seed. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
}

/**
 * @example
 * const random = seeded(42);
 * random.int(1, 6);
 */
export function seeded(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    pick: <T>(items: readonly T[]) => {
      const item = items[int(0, items.length - 1)];
      if (item === undefined) throw new RangeError('pick from an empty list');
      return item;
    },
  };
}

/** The seed from RELIABILITY_SEED, or a new one (printed by the runs, to repeat them). */
export function seedFromEnv(): number {
  const given = process.env.RELIABILITY_SEED;
  return given === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(given);
}

/** A positive integer from the environment, or `fallback`. */
export function sizeFromEnv(name: string, fallback: number): number {
  const given = process.env[name];
  if (given === undefined || given === '') return fallback;
  const size = Number(given);
  if (!Number.isInteger(size) || size < 1) throw new Error(`${name} must be a positive integer, not '${given}'`);
  return size;
}
