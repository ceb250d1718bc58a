import type { preValidationHookHandler } from 'fastify';
import { HttpProblem } from '../problems/problem.js';

/** The default of `maxBodyDepth`: deeper than any command or query input a person would write. */
export const DEFAULT_MAX_BODY_DEPTH = 64;

/**
 * True when a parsed JSON value nests objects and arrays more than `max` levels deep (`{}` is one level,
 * `{"a":[]}` two). It walks with a stack of its own rather than by recursion, and stops at the first level too
 * deep: a body of a hundred thousand `[` costs no more than its size, and cannot overflow the call stack.
 *
 * @example
 * nestsDeeperThan({ a: [{ b: 1 }] }, 2) // true: three levels
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  for (let node = nodes.pop(); node !== undefined; node = nodes.pop()) {
    const depth = depths.pop()!;
    if (depth > max) return true;
    for (const child of Object.values(node)) {
      if (typeof child !== 'object' || child === null) continue;
      nodes.push(child);
      depths.push(depth + 1);
    }
  }
  return false;
}

/**
 * A hook that answers 400 `MALFORMED_REQUEST` to a body nested deeper than `max`, after parsing and before
 * anything else reads the body (validation, the idempotency check, the mediator): what a request holds can then
 * not make any of them recurse past the stack.
 */
export function bodyDepthLimit(max: number): preValidationHookHandler {
  return (request, _reply, done) => {
    if (nestsDeeperThan(request.body, max)) {
      done(
        new HttpProblem(
          'MALFORMED_REQUEST',
          `The request body nests objects and arrays more than ${max} levels deep; this server accepts at most ${max}`,
        ),
      );
      return;
    }
    done();
  };
}
