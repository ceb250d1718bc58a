// graphile-worker, pg-boss and BullMQ, loaded from bench/.peers/queue (see setup.sh), so that the repository never
// needs them installed. Only the structural subset the bench calls is typed here.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PEERS_DIR } from '../mediator/nest.js';

export const QUEUE_PEERS_DIR = join(PEERS_DIR, 'queue');

/** A job as the no-op handlers see it: its number. */
export interface Payload {
  readonly n: number;
}

interface GraphileRunner {
  stop(): Promise<void>;
}

/** The part of graphile-worker the bench calls. */
export interface Graphile {
  makeWorkerUtils(options: { connectionString: string; schema: string; logger: unknown }): Promise<{
    migrate(): Promise<void>;
    addJob(identifier: string, payload: Payload): Promise<unknown>;
    release(): Promise<void>;
  }>;
  run(options: {
    connectionString: string;
    schema: string;
    concurrency: number;
    maxPoolSize: number;
    noHandleSignals: true;
    logger: unknown;
    taskList: Record<string, (payload: unknown) => Promise<void>>;
    /** Its batching options: jobs locked and fetched ahead per pool, completions grouped. */
    preset?: { worker: { localQueue?: { size: number }; completeJobBatchDelay?: number } };
  }): Promise<GraphileRunner>;
  /** A logger that prints nothing. */
  silent: unknown;
}

interface PgBossJob {
  readonly id: string;
  readonly data: Payload;
}

/** The part of a pg-boss instance the bench calls. */
export interface PgBoss {
  on(event: 'error' | 'warning', listener: (error: unknown) => void): void;
  start(): Promise<unknown>;
  stop(options: { graceful: boolean; close: boolean; timeout: number }): Promise<void>;
  createQueue(name: string, options: { notify: boolean }): Promise<void>;
  send(name: string, data: Payload): Promise<string | null>;
  fetch(name: string): Promise<PgBossJob[] | null>;
  complete(name: string, id: string): Promise<unknown>;
  work(
    name: string,
    options: {
      localConcurrency: number;
      batchSize: number;
      pollingIntervalSeconds: number;
      notifyPollingIntervalSeconds: number;
    },
    handler: (jobs: PgBossJob[]) => Promise<void>,
  ): Promise<string>;
  offWork(name: string, options: { wait: boolean }): Promise<void>;
}

export interface PgBossModule {
  new (options: { connectionString: string; schema: string; max: number; useListenNotify: boolean }): PgBoss;
}

interface RedisConnection {
  readonly host: string;
  readonly port: number;
}

/** The part of BullMQ the bench calls. */
export interface BullMq {
  Queue: new (
    name: string,
    options: { connection: RedisConnection },
  ) => {
    add(name: string, data: Payload): Promise<unknown>;
    getJobCounts(...types: string[]): Promise<Record<string, number>>;
    close(): Promise<void>;
  };
  Worker: new (
    name: string,
    processor: (job: { data: Payload }) => Promise<void>,
    options: { connection: RedisConnection; concurrency: number },
  ) => { waitUntilReady(): Promise<unknown>; close(): Promise<void> };
}

/** The three peers with their versions; a peer that is not installed is undefined. */
export interface QueuePeers {
  readonly graphile?: { readonly version: string; readonly api: Graphile };
  readonly pgBoss?: { readonly version: string; readonly api: PgBossModule };
  readonly bullmq?: { readonly version: string; readonly api: BullMq };
}

function versionOf(name: string): string {
  const manifest = join(QUEUE_PEERS_DIR, 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

async function load<T>(name: string, pick: (module: any) => T): Promise<{ version: string; api: T } | undefined> {
  const require = createRequire(join(QUEUE_PEERS_DIR, 'package.json'));
  let path: string;
  try {
    path = require.resolve(name);
  } catch {
    return undefined;
  }
  const module = await import(pathToFileURL(path).href);
  // A CommonJS package imported from ESM may have its exports only on `default`.
  return { version: versionOf(name), api: pick(module.default ?? module) };
}

/** Loads whichever of the three peers `npm run setup -w @twofold/bench` installed. */
export async function loadQueuePeers(): Promise<QueuePeers> {
  const graphile = await load('graphile-worker', (m) => ({
    makeWorkerUtils: m.makeWorkerUtils,
    run: m.run,
    silent: new m.Logger(() => () => {}),
  }));
  const pgBoss = await load('pg-boss', (m) => m.PgBoss as PgBossModule);
  const bullmq = await load('bullmq', (m) => ({ Queue: m.Queue, Worker: m.Worker }) as BullMq);
  return {
    ...(graphile === undefined ? {} : { graphile }),
    ...(pgBoss === undefined ? {} : { pgBoss }),
    ...(bullmq === undefined ? {} : { bullmq }),
  };
}
