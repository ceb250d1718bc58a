import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { ROLES, type Role } from './roles.js';

const SignIn = z.object({
  user: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[^\p{Cc}\p{Cs}]*$/u, 'no control characters'),
  role: z.enum(ROLES),
});

function problem(reply: FastifyReply, status: number, code: string, detail: string, extra: object = {}) {
  const title = status === 400 ? 'Bad Request' : status === 415 ? 'Unsupported Media Type' : 'Error';
  return reply
    .code(status)
    .type('application/problem+json')
    .send({
      type: `urn:twofold:problem:${code.toLowerCase().replaceAll('_', '-')}`,
      title,
      status,
      code,
      detail,
      instance: '/session',
      ...extra,
    });
}

/**
 * The demo sign-in: `POST /session` with `{ "user": "ada", "role": "guest" }` answers `{ "token" }`, a JWT for
 * that user in that role. It asks for no password: it stands in for a real identity provider, and is not
 * registered when the hotel verifies an external issuer's tokens.
 *
 * @example
 * await server.register(sessionRoute(signIn), { prefix: '/api' });
 */
export function sessionRoute(signIn: (user: string, role: Role) => Promise<string>) {
  return async (server: FastifyInstance): Promise<void> => {
    server.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode ?? 500;
      if (status >= 500) {
        request.log.error({ err: error }, 'Demo sign-in failed');
        return problem(reply, 500, 'INTERNAL', 'An unexpected error occurred.');
      }
      const code =
        status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : status === 413 ? 'PAYLOAD_TOO_LARGE' : 'MALFORMED_REQUEST';
      return problem(reply, status, code, error.message);
    });
    server.post('/session', { bodyLimit: 1024 }, async (request, reply) => {
      const parsed = SignIn.safeParse(request.body);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((issue) => ({ path: issue.path, message: issue.message }));
        const detail = issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
        return problem(reply, 400, 'VALIDATION_FAILED', `Invalid sign-in: ${detail}`, { issues });
      }
      return { token: await signIn(parsed.data.user, parsed.data.role) };
    });
  };
}
