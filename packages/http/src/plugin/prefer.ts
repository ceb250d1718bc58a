import { HEADERS, MAX_WAIT_SECONDS } from '@twofold/core/wire';
import type { FastifyRequest } from 'fastify';

/** The preferences of a request's `Prefer` header (RFC 7240) that the plugin knows. */
export interface Preferences {
  /** `respond-async`: queue the command and answer 202 at once. */
  readonly respondAsync: boolean;
  /** `wait=N`, in seconds, cut to {@link MAX_WAIT_SECONDS}; undefined when absent or not a whole number. */
  readonly wait: number | undefined;
}

const NONE: Preferences = { respondAsync: false, wait: undefined };
const SECONDS = /^\d{1,12}$/;

/**
 * Reads `Prefer`. A preference the plugin does not know, or one whose value it cannot read, is ignored, as RFC
 * 7240 asks: a request is never refused for its preferences. Several `Prefer` headers read as one list.
 */
export function preferencesOf(request: FastifyRequest): Preferences {
  const header = request.headers[HEADERS.prefer];
  if (header === undefined) return NONE;
  const text = Array.isArray(header) ? header.join(',') : header;
  let respondAsync = false;
  let wait: number | undefined;
  for (const preference of text.split(',')) {
    // A preference's own parameters (after ';') change nothing here.
    const [pair = ''] = preference.split(';');
    const equals = pair.indexOf('=');
    const name = (equals === -1 ? pair : pair.slice(0, equals)).trim().toLowerCase();
    const raw = equals === -1 ? undefined : pair.slice(equals + 1).trim();
    const value =
      raw !== undefined && raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
    if (name === 'respond-async' && value === undefined) respondAsync = true;
    // The first wait counts, as RFC 7240 says of a preference given twice.
    else if (name === 'wait' && wait === undefined && value !== undefined && SECONDS.test(value)) {
      wait = Math.min(Number(value), MAX_WAIT_SECONDS);
    }
  }
  return { respondAsync, wait };
}
