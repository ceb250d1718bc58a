import { arch, cpus, totalmem } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { measure } from 'mitata';
import { BareBus, composed, passThrough, validated } from './bare.js';
import { type NestBuses, PEERS_DIR, startNest } from './nest.js';
import { formatTable, type Row, worst } from './table.js';
import { messages, twofoldMediator } from './twofold.js';
import {
  bookRoom,
  bookRoomInput,
  PASS_THROUGH,
  roomById,
  roomByIdInput,
  zodBookRoom,
  zodRoomById,
} from './workload.js';

// Each round measures every case once, for MEASURE_NS of CPU time; a row reports its best round, so that a burst of
// work from another process on a shared machine inflates one round rather than the result.
const ROUNDS = 8;
const MEASURE_NS = 300e6;
const WARM_UP_CALLS = 20_000;

interface Case extends Omit<Row, 'ns'> {
  readonly expected: unknown;
  readonly run: (() => Promise<unknown>) | undefined;
}

function bareBus(middlewares: number): BareBus {
  const chain = Array.from({ length: middlewares }, () => passThrough);
  return new BareBus()
    .register('bench.BookRoom', composed(chain, bookRoom))
    .register('bench.RoomById', composed(chain, roomById))
    .register('bench.zod.BookRoom', validated(zodBookRoom, composed(chain, bookRoom)))
    .register('bench.zod.RoomById', validated(zodRoomById, composed(chain, roomById)));
}

// Every case is its own function literal, so that no call site in the bench is shared between contenders.
function cases(nest: NestBuses | undefined, sent: unknown, asked: unknown): Case[] {
  const bare0 = bareBus(0);
  const bare3 = bareBus(PASS_THROUGH);
  const twofold0 = twofoldMediator(0);
  const twofold3 = twofoldMediator(PASS_THROUGH);
  const { pass, zod } = messages;
  const mw = `${PASS_THROUGH} middlewares`;
  return [
    { op: 'send', name: 'bare', expected: sent, run: () => bare0.dispatch('bench.BookRoom', bookRoomInput) },
    { op: 'send', name: `bare, ${mw}`, expected: sent, run: () => bare3.dispatch('bench.BookRoom', bookRoomInput) },
    { op: 'send', name: 'bare + zod', expected: sent, run: () => bare0.dispatch('bench.zod.BookRoom', bookRoomInput) },
    {
      op: 'send',
      name: `bare + zod, ${mw}`,
      expected: sent,
      run: () => bare3.dispatch('bench.zod.BookRoom', bookRoomInput),
    },
    {
      op: 'send',
      name: '@nestjs/cqrs CommandBus',
      expected: sent,
      run: nest && (() => nest.send(bookRoomInput)),
    },
    {
      op: 'send',
      name: 'Twofold',
      bare: 'bare',
      nest: '@nestjs/cqrs CommandBus',
      expected: sent,
      run: () => twofold0.send(pass.BookRoom, bookRoomInput),
    },
    {
      op: 'send',
      name: `Twofold, ${mw}`,
      bare: `bare, ${mw}`,
      nest: '@nestjs/cqrs CommandBus',
      expected: sent,
      run: () => twofold3.send(pass.BookRoom, bookRoomInput),
    },
    {
      op: 'send',
      name: 'Twofold + zod',
      bare: 'bare + zod',
      expected: sent,
      run: () => twofold0.send(zod.BookRoom, bookRoomInput),
    },
    {
      op: 'send',
      name: `Twofold + zod, ${mw}`,
      bare: `bare + zod, ${mw}`,
      expected: sent,
      run: () => twofold3.send(zod.BookRoom, bookRoomInput),
    },
    { op: 'ask', name: 'bare', expected: asked, run: () => bare0.dispatch('bench.RoomById', roomByIdInput) },
    { op: 'ask', name: `bare, ${mw}`, expected: asked, run: () => bare3.dispatch('bench.RoomById', roomByIdInput) },
    { op: 'ask', name: 'bare + zod', expected: asked, run: () => bare0.dispatch('bench.zod.RoomById', roomByIdInput) },
    {
      op: 'ask',
      name: `bare + zod, ${mw}`,
      expected: asked,
      run: () => bare3.dispatch('bench.zod.RoomById', roomByIdInput),
    },
    { op: 'ask', name: '@nestjs/cqrs QueryBus', expected: asked, run: nest && (() => nest.ask(roomByIdInput)) },
    {
      op: 'ask',
      name: 'Twofold',
      bare: 'bare',
      nest: '@nestjs/cqrs QueryBus',
      expected: asked,
      run: () => twofold0.ask(pass.RoomById, roomByIdInput),
    },
    {
      op: 'ask',
      name: `Twofold, ${mw}`,
      bare: `bare, ${mw}`,
      nest: '@nestjs/cqrs QueryBus',
      expected: asked,
      run: () => twofold3.ask(pass.RoomById, roomByIdInput),
    },
    {
      op: 'ask',
      name: 'Twofold + zod',
      bare: 'bare + zod',
      expected: asked,
      run: () => twofold0.ask(zod.RoomById, roomByIdInput),
    },
    {
      op: 'ask',
      name: `Twofold + zod, ${mw}`,
      bare: `bare + zod, ${mw}`,
      expected: asked,
      run: () => twofold3.ask(zod.RoomById, roomByIdInput),
    },
  ];
}

async function measureAll(runnable: readonly Case[]): Promise<Map<Case, number>> {
  for (const c of runnable) {
    const result = await c.run!();
    if (!isDeepStrictEqual(result, c.expected)) {
      throw new Error(`${c.op} ${c.name} returned ${JSON.stringify(result)}, not ${JSON.stringify(c.expected)}`);
    }
  }
  // Round-robin, so that call sites the contenders share inside their own code are in their steady
  // (polymorphic) state before the first measurement rather than only for the later ones.
  for (let i = 0; i < WARM_UP_CALLS; i++) for (const c of runnable) await c.run!();
  const best = new Map<Case, number>();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of shuffled(runnable, round)) {
      process.stderr.write(`\r\x1b[K[round ${round}/${ROUNDS}] ${c.op}: ${c.name}`);
      const { avg } = await measure(c.run!, { min_cpu_time: MEASURE_NS });
      best.set(c, Math.min(best.get(c) ?? Number.POSITIVE_INFINITY, avg));
    }
  }
  process.stderr.write('\r\x1b[K');
  return best;
}

// Each round takes the cases in another order (fixed, so that runs compare): a case measured right after a heavy
// one can pay for the garbage and the recompilation that one left, and no case should always follow the same one.
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function machine(): string {
  const cpu = cpus();
  const gib = (totalmem() / 2 ** 30).toFixed(0);
  return `${cpu[0]?.model.trim() ?? 'unknown CPU'} (${cpu.length} cores, ${arch()}), ${gib} GiB, Node ${process.version}`;
}

const nest = await startNest();
if (nest === undefined) {
  console.error(
    `@nestjs/cqrs is not installed in ${PEERS_DIR}, so its rows are skipped. Install the peers with:\n` +
      '  npm run setup -w @twofold/bench\n',
  );
}
const all = cases(nest, await bookRoom(bookRoomInput), await roomById(roomByIdInput));
const best = await measureAll(all.filter((c) => c.run !== undefined));
await nest?.close();

const rows: Row[] = all.map(({ op, name, bare, nest }, i) => ({ op, name, bare, nest, ns: best.get(all[i]!) }));
console.log(`Twofold mediator: mean ns per dispatch, best of ${ROUNDS} rounds (mitata)`);
console.log(`${machine()}${nest === undefined ? '' : `, @nestjs/cqrs ${nest.version}`}\n`);
console.log(formatTable(rows));
const vsBare = worst(rows, 'bare');
const vsNest = worst(rows, 'nest');
console.log();
if (vsBare !== undefined) {
  const met = vsBare.ratio <= 1.5 ? 'met' : 'MISSED';
  console.log(
    `Target ≤ 1.5× the bare baseline: ${met} (worst ${vsBare.ratio.toFixed(2)}×, ${vsBare.row.op} ${vsBare.row.name})`,
  );
}
if (vsNest !== undefined) {
  const met = vsNest.ratio < 1 ? 'met' : 'MISSED';
  console.log(
    `Target faster than @nestjs/cqrs: ${met} (worst ${vsNest.ratio.toFixed(2)}×, ${vsNest.row.op} ${vsNest.row.name})`,
  );
}
