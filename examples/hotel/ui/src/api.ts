import { createClient, isRemoteError } from '@twofold/client';
import { signedIn } from './identity.js';

/**
 * The one client of the page. It sends the signed-in person's token, remembers the position of its last
 * command and sends it with every query, so a screen shown after a booking or a cancellation always includes it.
 */
export const api = createClient({
  baseUrl: '/api',
  headers: (): Record<string, string> => {
    const token = signedIn()?.token;
    return token === undefined ? {} : { authorization: `Bearer ${token}` };
  },
});

/** What to tell a person about a failed call. */
export function explain(error: unknown): string {
  if (isRemoteError(error, 'VALIDATION_FAILED')) {
    return error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
  }
  if (isRemoteError(error, 'UNAUTHENTICATED')) {
    return signedIn() === undefined
      ? 'Please sign in (top right) first.'
      : 'Your sign-in is no longer valid (it lasts 8 hours): sign out and sign in again.';
  }
  if (isRemoteError(error, 'FORBIDDEN')) {
    const who = signedIn();
    return `Signed in as ${who?.user ?? 'nobody'} (${who?.role ?? 'no role'}), you may not do this: sign in with another role.`;
  }
  if (isRemoteError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** A new booking id: made by the client, so that retrying a booking cannot book twice. */
export function newId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return `b-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}
