import { connect } from 'node:net';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats } from '@nats-io/transport-node';
import { describe, expect, it, vi } from 'vitest';
import { startNats } from './nats.js';
import { startPostgres } from './postgres.js';
import { exec } from './process.js';
import { startRedis } from './redis.js';

function redisCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${command}\r\n`));
    socket.once('data', (data) => {
      socket.end();
      resolve(data.toString());
    });
    socket.once('error', reject);
  });
}

describe('throwaway servers', () => {
  it('starts PostgreSQL on a free port, survives a SIGKILL and restart, and removes its data on stop', async () => {
    const pg = await startPostgres({ durable: true });
    try {
      const psql = (sql: string) => exec('psql', [pg.url, '-tAc', sql]).then((r) => r.stdout.trim());
      expect(pg.port).not.toBe(5432);
      await psql('create table t (n int); insert into t values (42)');
      expect(await psql('select n from t')).toBe('42');
      // A backend busy computing when the server dies notices only once it waits, long after: the restart kills it,
      // or the new server refuses the shared memory it still holds.
      const busy = psql('select count(*) from generate_series(1, 100000000000)').catch((error: Error) => error);
      await vi.waitUntil(
        async () =>
          (await psql("select count(*) from pg_stat_activity where query like 'select count(*) from generate%'")) ===
          '1',
        { timeout: 10_000 },
      );
      pg.kill();
      await pg.restart();
      expect(await psql('select count(*) from t')).toBe('1');
      expect(await busy).toBeInstanceOf(Error);
    } finally {
      await pg.stop();
    }
    await expect(exec('test', ['-e', pg.dataDir])).rejects.toThrow();
  });

  it('starts redis-server on a free port', async () => {
    const redis = await startRedis();
    try {
      expect(redis.port).not.toBe(6379);
      expect(await redisCommand(redis.port, 'PING')).toBe('+PONG\r\n');
    } finally {
      await redis.stop();
    }
    await expect(redisCommand(redis.port, 'PING')).rejects.toThrow();
  });

  it('starts nats-server with JetStream on a free port, keeps its store across a SIGKILL and restart, and removes it on stop', async () => {
    const nats = await startNats();
    const messages = async () => {
      const nc = await connectNats({ servers: nats.url });
      try {
        return (await (await jetstreamManager(nc)).streams.info('EVENTS')).state.messages;
      } finally {
        await nc.close();
      }
    };
    try {
      expect(nats.port).not.toBe(4222);
      const nc = await connectNats({ servers: nats.url });
      await (await jetstreamManager(nc)).streams.add({ name: 'EVENTS', subjects: ['twofold.>'] });
      const js = jetstream(nc);
      const first = await js.publish('twofold.hotel.RoomBooked', '{}', { msgID: 'e1' });
      const again = await js.publish('twofold.hotel.RoomBooked', '{}', { msgID: 'e1' });
      expect([first.duplicate, again.duplicate, again.seq]).toEqual([false, true, first.seq]);
      await nc.close();
      expect(await messages()).toBe(1);
      nats.kill();
      await nats.restart();
      expect(await messages()).toBe(1);
    } finally {
      await nats.stop();
    }
    await expect(exec('test', ['-e', nats.storeDir])).rejects.toThrow();
    await expect(connectNats({ servers: nats.url, reconnect: false })).rejects.toThrow();
  });
});
