import { readFile } from 'node:fs/promises';
import { createClient, type RemoteErrorCode } from '@twofold/client';
import {
  DomainError,
  defineCommand,
  PositionAheadOfLogError,
  ProjectionStoppedError,
  UnavailableError,
  ValidationError,
} from '@twofold/core';
import { PROBLEM_STATUS, type ProblemCode } from '@twofold/core/wire';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { HttpProblem, problemFrom } from './problem.js';

describe('problem codes', () => {
  it('are the codes the client knows, apart from its own UNEXPECTED_RESPONSE', () => {
    expectTypeOf<Exclude<RemoteErrorCode, 'UNEXPECTED_RESPONSE'>>().toEqualTypeOf<ProblemCode>();
    expectTypeOf<RemoteErrorCode>().toEqualTypeOf<keyof typeof PROBLEM_STATUS | 'UNEXPECTED_RESPONSE'>();
  });

  it('each reach the client as themselves, with the status of the one table', async () => {
    const Ping = defineCommand('test.Ping', z.object({}));
    for (const [code, status] of Object.entries(PROBLEM_STATUS) as [ProblemCode, number][]) {
      const problem = problemFrom(new HttpProblem(code, `failed with ${code}`), '/commands/test.Ping', 'c-1');
      expect(problem).toMatchObject({ status, body: { code, status } });
      const client = createClient({
        baseUrl: 'http://twofold.test/',
        fetch: async () =>
          new Response(JSON.stringify(problem.body), {
            status: problem.status,
            headers: { 'content-type': 'application/problem+json' },
          }),
      });
      const error = await client.send(Ping, {}).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'RemoteError', code, status, message: `failed with ${code}` });
    }
  });

  it('map every code to an error status', () => {
    for (const status of Object.values(PROBLEM_STATUS)) expect(status).toBeGreaterThanOrEqual(400);
  });

  it('carry validation issues and domain rules, and nothing of an unexpected error', () => {
    const invalid = problemFrom(new ValidationError('X', [{ path: ['a', 0], message: 'bad' }]), '/x', 'c');
    expect(invalid.body).toMatchObject({ status: 400, issues: [{ path: ['a', 0], message: 'bad' }] });
    const rule = problemFrom(new DomainError('FULL', 'No room', { left: 0 }), '/x', undefined);
    expect(rule.body).toEqual({
      type: 'urn:twofold:problem:domain-rule',
      title: 'Unprocessable Content',
      status: 422,
      code: 'DOMAIN_RULE',
      detail: 'No room',
      instance: '/x',
      rule: 'FULL',
      details: { left: 0 },
    });
    const bug = problemFrom(Object.assign(new Error('SELECT * FROM users'), { code: 'NOT_FOUND' }), '/x', 'c');
    expect(bug).toMatchObject({ status: 500, unexpected: true, body: { code: 'INTERNAL' } });
    expect(JSON.stringify(bug.body)).not.toContain('SELECT');
    const down = problemFrom(new UnavailableError('Redis at 127.0.0.1:6390 is unreachable'), '/x', 'c');
    expect(down).toMatchObject({
      status: 503,
      unexpected: false,
      body: { code: 'UNAVAILABLE', title: 'Service Unavailable' },
    });
  });

  it('name the stopped read model with a 503, and refuse a position ahead of the log with a 400', () => {
    expect(problemFrom(new ProjectionStoppedError('availability', 7, 9), '/q', 'c')).toMatchObject({
      status: 503,
      unexpected: false,
      body: { code: 'PROJECTION_STOPPED', projection: 'availability' },
    });
    expect(problemFrom(new PositionAheadOfLogError(99), '/q', 'c')).toMatchObject({
      status: 400,
      body: { code: 'POSITION_AHEAD_OF_LOG' },
    });
  });

  it('are the codes and statuses of the error table in the README, no more and no fewer', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.split('\n## Errors\n')[1]?.split('\n## ')[0] ?? '';
    const listed: string[] = [];
    for (const row of section.split('\n').filter((line) => /^\| \d/.test(line))) {
      const [, statuses = '', codes = ''] = row.split(/(?<!\\)\|/).map((cell) => cell.trim());
      const groups = codes.split(' / ');
      statuses.split(' / ').forEach((status, i) => {
        for (const [, code] of (groups[i] ?? '').matchAll(/`([A-Z_]+)`/g)) listed.push(`${code} ${status}`);
      });
    }
    const mapped = Object.entries(PROBLEM_STATUS).map(([code, status]) => `${code} ${status}`);
    expect(listed.sort()).toEqual(mapped.sort());
  });
});
