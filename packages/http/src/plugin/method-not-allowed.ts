import type { FastifyInstance, HTTPMethods } from 'fastify';
import { HttpProblem } from '../problems/problem.js';

/** Answers `methods` on `url` with 405 METHOD_NOT_ALLOWED, `Allow: allow` and `detail`, rather than Fastify's 404. */
export function refuseMethods(
  instance: FastifyInstance,
  url: string,
  refused: { readonly methods: HTTPMethods[]; readonly allow: string; readonly detail: string },
): void {
  instance.route({
    method: refused.methods,
    url,
    handler: async (_request, reply) => {
      reply.header('allow', refused.allow);
      throw new HttpProblem('METHOD_NOT_ALLOWED', refused.detail);
    },
  });
}
