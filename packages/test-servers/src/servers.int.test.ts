import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
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
      pg.kill();
      await pg.restart();
      expect(await psql('select count(*) from t')).toBe('1');
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
});
