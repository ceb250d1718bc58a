import type { SignedIn } from './identity.js';

/** Who is using the page, and a line of feedback shown above it. */
export interface Session {
  /** The person signed in, or undefined. */
  who(): SignedIn | undefined;
  /** Shows a message above the page until the next one. */
  flash(message: string, kind?: 'ok' | 'error'): void;
  /** Opens another page, e.g. `go('bookings')`. */
  go(page: string): void;
}

/** A page draws itself into `root`; what it returns is called when the person leaves it. */
export type Page = (
  root: HTMLElement,
  session: Session,
) => undefined | (() => void) | Promise<undefined | (() => void)>;
