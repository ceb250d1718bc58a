import type { Role } from '../../src/identity/roles.js';

/** Who is signed in on this page, and the token that proves it. */
export interface SignedIn {
  readonly user: string;
  readonly role: Role;
  readonly token: string;
}

const KEY = 'twofold-hotel-sign-in';

/** The person signed in, kept in localStorage; undefined when nobody is. */
export function signedIn(): SignedIn | undefined {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Partial<SignedIn> | null;
    if (typeof stored?.user === 'string' && typeof stored.role === 'string' && typeof stored.token === 'string') {
      return stored as SignedIn;
    }
  } catch {
    // Anything unreadable counts as signed out.
  }
  return undefined;
}

/**
 * Signs in through the hotel's demo sign-in, `POST /api/session`: no password, a user name and a role. A real
 * deployment signs people in with its identity provider instead and hands the page that provider's token.
 */
export async function signIn(user: string, role: Role): Promise<SignedIn> {
  const response = await fetch('/api/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ user, role }),
  });
  const body = (await response.json().catch(() => ({}))) as { token?: unknown; detail?: unknown };
  if (!response.ok || typeof body.token !== 'string') {
    throw new Error(
      response.status === 404
        ? 'This hotel takes tokens from its identity provider: the demo sign-in is off.'
        : typeof body.detail === 'string'
          ? body.detail
          : `Sign-in failed (${response.status})`,
    );
  }
  const session: SignedIn = { user: user.trim(), role, token: body.token };
  localStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

/** Forgets the token. */
export function signOut(): void {
  localStorage.removeItem(KEY);
}
