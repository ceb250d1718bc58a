import { behindPage } from './pages/behind.js';
import { bookPage } from './pages/book.js';
import { bookingsPage } from './pages/bookings.js';
import { deskPage } from './pages/desk.js';
import type { Page, Session } from './session.js';

const pages: Record<string, Page> = { book: bookPage, bookings: bookingsPage, desk: deskPage, behind: behindPage };

const root = document.getElementById('page') as HTMLElement;
const flashBox = document.getElementById('flash') as HTMLElement;
const guest = document.getElementById('guest') as HTMLInputElement;
guest.value = localStorage.getItem('guestId') ?? 'ada';
let leave: (() => void) | undefined;
let flashedAt = 0;

const session: Session = {
  guestId: () => guest.value.trim() || 'ada',
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
guest.addEventListener('change', () => {
  localStorage.setItem('guestId', session.guestId());
  void show();
});
void show();
