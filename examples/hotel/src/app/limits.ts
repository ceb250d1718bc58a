import type { ServerLimits } from '@twofold/http';

/** Each connection limit and the environment variable that sets it (times in milliseconds). */
export const LIMIT_VARIABLES: Readonly<Record<keyof ServerLimits, string>> = Object.freeze({
  maxConnections: 'MAX_CONNECTIONS',
  headersTimeout: 'HEADERS_TIMEOUT_MS',
  requestTimeout: 'REQUEST_TIMEOUT_MS',
  keepAliveTimeout: 'KEEP_ALIVE_TIMEOUT_MS',
  connectionTimeout: 'CONNECTION_TIMEOUT_MS',
  maxRequestsPerSocket: 'MAX_REQUESTS_PER_SOCKET',
});

/**
 * The connection limits the environment sets; unset or empty variables keep their defaults. A value that is not
 * a number is passed on as NaN, so that the server refuses to start and names the limit.
 *
 * @example
 * limitsFromEnv({ MAX_CONNECTIONS: '500' }) // { maxConnections: 500 }
 */
export function limitsFromEnv(env: Readonly<Record<string, string | undefined>>): ServerLimits {
  const limits: { -readonly [K in keyof ServerLimits]: number } = {};
  for (const [limit, variable] of Object.entries(LIMIT_VARIABLES) as [keyof ServerLimits, string][]) {
    const value = env[variable]?.trim();
    if (value !== undefined && value !== '') limits[limit] = Number(value);
  }
  return limits;
}
