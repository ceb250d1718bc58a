// The web UI in Debian's Chromium, driven by playwright-core: a guest signs in, books a room, finds it under their
// bookings, cancels it, follows the cancellation's progress and sees the refund and the email; the front desk and
// a manager see what is theirs, and a manager replays a refund request that billing's database refused until parked.
// Screenshots go to examples/hotel/test-results/.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type PostgresServer, startPostgres } from '@twofold/test-servers';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app/server.js';
import type { StoresConfig } from '../../src/app/stores.js';
import { addDays, today } from '../../src/domain/dates.js';
import type { Role } from '../../src/identity/roles.js';
import { BookRoom, CancelBooking, RegisterRoom } from '../../src/messages/commands.js';
import { ReplayDeadLetter, ServiceDeadLetters } from '../../src/services/dead-letters.js';
import { MAX_DELIVERIES } from '../../src/services/transport.js';
import { as, cancellationCompleted } from './setup.js';

const CHROMIUM = '/usr/bin/chromium';
const hotelDir = fileURLToPath(new URL('../..', import.meta.url));
const results = join(hotelDir, 'test-results');

let browser: Browser;
let postgres: PostgresServer;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-test-deps.sh as root`);
  const vite = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  await promisify(execFile)(process.execPath, [vite, 'build'], { cwd: hotelDir, timeout: 60_000 });
  postgres = await startPostgres();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  mkdirSync(results, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await postgres?.stop();
});

// The same walk through the UI in memory and on PostgreSQL; screenshots of the second are suffixed.
const storages: { storage: string; suffix: string; config: () => StoresConfig }[] = [
  { storage: 'in memory', suffix: '', config: () => ({}) },
  { storage: 'on PostgreSQL', suffix: '-postgres', config: () => ({ postgres: { url: postgres.url } }) },
];

describe.each(storages)('the web UI of the hotel $storage', ({ suffix, config }) => {
  let app: App;
  let page: Page;
  let baseUrl: string;

  beforeAll(async () => {
    app = await createApp({ uiDir: join(hotelDir, 'dist', 'ui'), ...config() });
    baseUrl = await app.server.listen({ port: 0, host: '127.0.0.1' });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.setDefaultTimeout(10_000);
  });

  afterAll(async () => {
    await page?.close();
    await app?.close();
  });

  async function screenshot(name: string): Promise<void> {
    const path = join(results, `${name}${suffix}.png`);
    await page.screenshot({ path, fullPage: true });
    console.log(`screenshot: ${path}`);
  }

  // The demo sign-in in the page's header: a name and a role.
  async function signInAs(user: string, role: Role): Promise<void> {
    const signOut = page.getByTestId('sign-out');
    if (await signOut.isVisible()) await signOut.click();
    await page.getByTestId('user').fill(user);
    await page.getByTestId('role').selectOption(role);
    await page.getByTestId('sign-in').click();
    expect(await page.getByTestId('signed-in').textContent()).toBe(`${user} · ${role}`);
  }

  it('books a room, shows it held under my bookings at once, confirms it, cancels it, and shows the refund and the email', async () => {
    await page.goto(`${baseUrl}/#/book`);
    await signInAs('e2e-guest', 'guest');

    const card = page.locator('[data-testid^="room-"]').first();
    await card.waitFor();
    const roomNumber = (await card.locator('h3').textContent())?.replace('Room ', '');
    await card.getByRole('button', { name: 'Book' }).click();

    await page.getByTestId('my-bookings').waitFor();
    expect(new URL(page.url()).hash).toBe('#/bookings');
    const row = page.locator('[data-testid^="booking-"]');
    await expect.poll(() => row.count(), { timeout: 5000 }).toBe(1);
    expect(await row.getByTestId('status').textContent()).toBe('held');
    expect(await row.getByTestId('held-until').textContent()).toMatch(/^Confirm by .+/);
    expect(await row.locator('td').first().textContent()).toContain(roomNumber);
    await screenshot('held');

    await row.getByTestId('confirm').click();
    await expect.poll(() => row.getByTestId('status').textContent(), { timeout: 5000 }).toBe('booked');
    expect(await page.getByTestId('inbox').textContent()).toContain(': confirmed');
    expect(await row.getByTestId('confirm').count()).toBe(0);
    await screenshot('booked');

    await row.getByTestId('reason').fill('change of plans');
    await row.getByTestId('cancel').click();
    // The cancellation's progress shows at once, and follows its steps until the refund, mail and alert are done.
    await page.getByTestId('progress').waitFor();
    await page.getByTestId('refund').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('progress-refund').textContent()).toBe('Refund: done');
    expect(await page.getByTestId('progress-mail').textContent()).toBe('Mail to you: sent');
    expect(await page.getByTestId('progress-alert').textContent()).toBe('Alert to management: sent');
    expect(await page.getByTestId('refund').textContent()).toMatch(/^Refund of €\d+\.\d\d issued to e2e-guest\.$/);
    expect(await page.getByTestId('cancel-mail').textContent()).toContain(': cancelled');
    await expect.poll(() => row.getByTestId('status').textContent(), { timeout: 5000 }).toBe('cancelled');
    await screenshot('booking-cancelled');
  });

  it('shows the front desk the occupancy, and a manager also the alert about the cancellation', async () => {
    await page.goto(`${baseUrl}/#/desk`);
    await signInAs('e2e-desk', 'frontdesk');
    await page.getByTestId('occupied').waitFor();
    expect(await page.getByTestId('alerts').textContent()).toContain('Sign in as a manager to see them.');
    await signInAs('e2e-manager', 'manager');
    await expect.poll(() => page.getByTestId('alerts').textContent()).toContain('e2e-guest cancelled room');
    expect(await page.getByTestId('occupied').textContent()).toMatch(/^\d of 6 rooms taken \(\d+%\)$/);
    expect(await page.getByTestId('alerts').textContent()).toContain('e2e-guest cancelled room');
    await screenshot('front-desk');
  });

  it('shows a manager the latest events and the lag of each projection, subscriber and process manager', async () => {
    await page.goto(`${baseUrl}/#/behind`);
    expect(await page.getByTestId('signed-in').textContent()).toBe('e2e-manager · manager');
    await page.getByTestId('events').locator('tbody tr').first().waitFor();
    expect(await page.getByTestId('events').textContent()).toContain('hotel.BookingCancelled');
    const lag = await page.getByTestId('lag').textContent();
    for (const name of [
      'availability',
      'bookings',
      'cancellations',
      'mail.guests',
      'hotel.holds',
      'hotel.cancellation',
    ]) {
      expect(lag).toContain(name);
    }
    await screenshot('behind-the-scenes');
  });

  it('shows the read side and the latest events while billing does not answer for its dead letters, and says so in their place', async () => {
    // Billing in a process of its own that does not answer: the hotel's 503, once the read side is drawn.
    const detail =
      'billing did not answer for its dead letters within 2000 ms: is its process running, on this NATS server?';
    const drawn = page.getByTestId('events').locator('tbody tr').first();
    const deadLetters = '**/api/queries/hotel.ServiceDeadLetters*';
    await page.route(deadLetters, async (route) => {
      await drawn.waitFor();
      await route.fulfill({
        status: 503,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: 'urn:twofold:problem:unavailable',
          title: 'Service Unavailable',
          status: 503,
          code: 'UNAVAILABLE',
          detail,
        }),
      });
    });
    try {
      // Loaded anew, the page asks at once rather than at its next refresh.
      await page.goto(`${baseUrl}/#/behind`);
      await page.reload();
      await expect.poll(() => page.getByTestId('dead-letters').textContent(), { timeout: 10_000 }).toContain(detail);
      expect(await page.getByTestId('lag').textContent()).toContain('hotel.cancellation');
      expect(await page.getByTestId('events').textContent()).toContain('hotel.BookingCancelled');
    } finally {
      await page.unroute(deadLetters);
    }
    await page.getByTestId('dead-letters').getByTestId('no-dead-letters').waitFor();
  });

  it('shows a manager a refund request billing could not take in, and replays it: still failing, done, gone', async () => {
    const manager = as('e2e-manager', 'manager');
    const billing = app.billing.billing!.db.connection;
    // Billing's database refuses what its inbox writes, as a read-only volume would, until the trigger is dropped.
    const refuse = () =>
      billing.exec(
        `CREATE TRIGGER refuse_commands BEFORE INSERT ON twofold_commands BEGIN SELECT RAISE(ABORT, 'billing volume is read-only'); END`,
      );
    const fix = () => billing.exec('DROP TRIGGER refuse_commands');
    const bookAndCancel = async (bookingId: string, from: string) => {
      await app.hotel.mediator.send(
        BookRoom,
        { bookingId, roomId: '801', guestId: 'e2e-kim', from, to: addDays(from, 2) },
        manager,
      );
      await app.hotel.mediator.send(CancelBooking, { bookingId, reason: 'plans changed' }, manager);
    };
    const parked = page.getByTestId('dead-letters');
    const rows = parked.locator('[data-testid^="dead-letter-"]');
    const flash = page.locator('#flash');

    await page.goto(`${baseUrl}/#/behind`);
    await parked.getByTestId('no-dead-letters').waitFor();
    await app.hotel.mediator.send(
      RegisterRoom,
      { roomId: '801', number: '801', type: 'single', pricePerNight: 80 },
      manager,
    );
    refuse();
    await bookAndCancel('e2e-poison-1', addDays(today(), 3));

    await rows.first().waitFor({ timeout: 20_000 });
    const {
      items: [letter, ...others],
    } = await app.hotel.mediator.ask(ServiceDeadLetters, {}, manager);
    expect(others).toEqual([]);
    const row = parked.getByTestId(`dead-letter-${letter!.id}`);
    expect(await row.locator('td').allTextContents()).toEqual([
      'billing',
      'hotel.RefundRequested',
      letter!.streamId,
      String(MAX_DELIVERIES),
      expect.stringMatching(/\d/),
      letter!.problem,
      'Replay',
    ]);
    await screenshot('dead-letter');

    // Replayed while billing still refuses it: said so, and still parked with one attempt more.
    await row.getByTestId('replay').click();
    await expect
      .poll(() => flash.textContent())
      .toBe(
        `Still failing: billing could not take in hotel.RefundRequested for ${letter!.streamId} again, so it stays parked. The server log has the error.`,
      );
    expect(await flash.getAttribute('class')).toBe('error');
    await expect.poll(() => row.locator('td').nth(3).textContent()).toBe(String(MAX_DELIVERIES + 1));

    fix();
    await row.getByTestId('replay').click();
    await expect
      .poll(() => flash.textContent())
      .toBe(`Done: billing took in hotel.RefundRequested for ${letter!.streamId}.`);
    expect(await flash.getAttribute('class')).toBe('ok');
    await parked.getByTestId('no-dead-letters').waitFor();
    expect(await rows.count()).toBe(0);
    expect(await cancellationCompleted(app, 'e2e-poison-1')).toMatchObject({ refund: 'done', completed: true });

    // Replayed elsewhere between the listing and the click: the page's own replay reaches the server after it.
    refuse();
    await bookAndCancel('e2e-poison-2', addDays(today(), 6));
    await rows.first().waitFor({ timeout: 20_000 });
    const {
      items: [second],
    } = await app.hotel.mediator.ask(ServiceDeadLetters, {}, manager);
    fix();
    const replays = '**/api/commands/hotel.ReplayDeadLetter';
    await page.route(replays, async (route) => {
      await app.hotel.mediator.send(ReplayDeadLetter, { id: second!.id }, manager);
      await route.continue();
    });
    await parked.getByTestId(`dead-letter-${second!.id}`).getByTestId('replay').click();
    await expect
      .poll(() => flash.textContent())
      .toBe(`Gone: hotel.RefundRequested for ${second!.streamId} is no longer parked (replayed or removed meanwhile).`);
    await page.unroute(replays);
    await parked.getByTestId('no-dead-letters').waitFor();
    expect(await cancellationCompleted(app, 'e2e-poison-2')).toMatchObject({ refund: 'done', completed: true });
  });
});
