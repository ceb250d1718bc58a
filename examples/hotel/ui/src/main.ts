import { ROLES, type Role } from '../../src/identity/roles.js';
import { h, mount } from './dom.js';
import { signedIn, signIn, signOut } from './identity.js';
import { behindPage } from './pages/behind.js';
import { bookPage } from './pages/book.js';
import { bookingsPage } from './pages/bookings.js';
import { deskPage } from './pages/desk.js';
import type { Page, Session } from './session.js';

const pages: Record<string, Page> = { book: bookPage, bookings: bookingsPage, desk: deskPage, behind: behindPage };

const root = document.getElementById('page') as HTMLElement;
const flashBox = document.getElementById('flash') as HTMLElement;
const identity = document.getElementById('identity') as HTMLElement;
let leave: (() => void) | undefined;
let flashedAt = 0;

const session: Session = {
  who: signedIn,
  flash(message, kind = 'ok') {
    flashBox.textContent = message;
    flashBox.className = kind;
    flashedAt = Date.now();
  },
  go(page) {
    if (location.hash === `#/${page}`) void show();
    else location.hash = `#/${page}`;
  },
};

// The demo's "who are you": a name and a role, signed in through POST /api/session.
function drawIdentity(): void {
  const who = signedIn();
  if (who !== undefined) {
    mount(
      identity,
      h('span', { 'data-testid': 'signed-in' }, `${who.user} · ${who.role}`),
      h(
        'button',
        {
          'data-testid': 'sign-out',
          onclick: () => {
            signOut();
            changed();
          },
        },
        'Sign out',
      ),
    );
    return;
  }
  const user = h('input', { placeholder: 'Your name', required: true, maxlength: 64, 'data-testid': 'user' });
  const role = h('select', { 'data-testid': 'role' }, ...ROLES.map((r) => h('option', { value: r }, r)));
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      await signIn(user.value, role.value as Role);
      changed();
    } catch (error) {
      session.flash(error instanceof Error ? error.message : String(error), 'error');
    }
  };
  mount(
    identity,
    h(
      'form',
      { class: 'sign-in', onsubmit: submit },
      user,
      role,
      h('button', { type: 'submit', class: 'primary', 'data-testid': 'sign-in' }, 'Sign in'),
    ),
  );
}

function changed(): void {
  drawIdentity();
  void show();
}

async function show(): Promise<void> {
  leave?.();
  leave = undefined;
  // A message stays for the page it led to (after booking: my bookings), not for the ones after it.
  if (Date.now() - flashedAt > 1000) flashBox.replaceChildren();
  const name = location.hash.replace(/^#\/?/, '') || 'book';
  const page = pages[name] ?? bookPage;
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    link.classList.toggle('active', link.dataset.page === name);
  }
  leave = await page(root, session);
}

window.addEventListener('hashchange', () => {
  void show();
});
drawIdentity();
void show();
