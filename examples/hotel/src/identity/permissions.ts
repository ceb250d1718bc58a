import {
  type AnyMiddlewareContext,
  anyone,
  authorize,
  hasRole,
  type Middleware,
  type Policy,
  type Principal,
  type QueuedCommand,
  UnauthenticatedError,
} from '@twofold/core';
import { AlertManagement, MailGuest, RecordRefund, RequestRefund } from '../cancellation/messages.js';
import { cancellationProcess } from '../cancellation/process-manager.js';
import { CancellationProgress } from '../cancellation/queries.js';
import { holdExpiry } from '../holds/hold-expiry.js';
import {
  BookRoom,
  CancelBooking,
  CheckIn,
  CheckOut,
  ConfirmBooking,
  RegisterRoom,
  ReleaseHold,
} from '../messages/commands.js';
import {
  BookingDetails,
  FreeRooms,
  GuestBookings,
  GuestMail,
  ManagementAlerts,
  Occupancy,
  ProjectionLag,
  RecentEvents,
} from '../messages/queries.js';
import { ReplayDeadLetter, ServiceDeadLetters } from '../services/dead-letters.js';
import type { Role } from './roles.js';

/** Whose booking `bookingId` is: its guest, or undefined when there is no such booking. */
export type BookingOwner = (bookingId: string) => Promise<string | undefined>;

type Context = AnyMiddlewareContext;

function signedIn(ctx: Context): Principal {
  if (ctx.principal === undefined) throw new UnauthenticatedError();
  return ctx.principal;
}

function has(principal: Principal, role: Role): boolean {
  return principal.roles?.includes(role) ?? false;
}

function field(ctx: Context, name: string): unknown {
  const data = ctx.data as Readonly<Record<string, unknown>> | null;
  return typeof data === 'object' && data !== null ? data[name] : undefined;
}

// Any of the policies lets the caller through; an anonymous caller is asked to sign in.
function either(...policies: readonly Policy<Context>[]): Policy<Context> {
  return async (ctx) => {
    signedIn(ctx);
    for (const policy of policies) if (await policy(ctx)) return true;
    return false;
  };
}

/** A guest acting for themselves: the payload's `guestId` is their own user. */
const ownGuestId: Policy<Context> = (ctx) => {
  const principal = signedIn(ctx);
  return has(principal, 'guest') && field(ctx, 'guestId') === principal.id;
};

/** A guest acting on one of their own bookings. A booking that does not exist is nobody's. */
// Checked before the command's transaction, which is safe: a booking's guest is set once, when it is booked.
function ownBooking(owner: BookingOwner): Policy<Context> {
  return async (ctx) => {
    const principal = signedIn(ctx);
    const bookingId = field(ctx, 'bookingId');
    return has(principal, 'guest') && typeof bookingId === 'string' && (await owner(bookingId)) === principal.id;
  };
}

/**
 * A command the holds' process manager sent: it has no principal, and its id is one that only the process
 * manager's commits give (`hotel.holds:<booking>:…`); commands from HTTP get ids of their own.
 */
const holdTimer: Policy<Context> = (ctx) =>
  ctx.principal === undefined && ctx.envelope.id.startsWith(`${holdExpiry.name}:`);

/**
 * A step of a cancellation the hotel sent itself: it has no principal, and its id is one that only the
 * cancellation's process manager (`hotel.cancellation:<booking>:…`) or the inbox of billing's replies
 * (`hotel.RecordRefund:<billing's event id>`) gives. No user may send one: a signed-in caller is refused, an
 * anonymous one asked to sign in.
 */
const cancellationStep: Policy<Context> = (ctx) => {
  const id = ctx.envelope.id;
  if (
    ctx.principal === undefined &&
    (id.startsWith(`${cancellationProcess.name}:`) || id.startsWith(`${RecordRefund.type}:`))
  ) {
    return true;
  }
  signedIn(ctx);
  return false;
};

/**
 * The hotel's permissions, by message type, writes and reads apart:
 * - anyone, signed in or not, may ask `FreeRooms`;
 * - a `guest` books for themselves, and confirms, cancels, reads and is mailed about only their own bookings;
 * - the `frontdesk` checks guests in and out, sees the occupancy, and reads, confirms and cancels any booking;
 * - a `manager` may do everything, including registering rooms and reading alerts, events and the lag;
 * - the holds' process manager releases holds whose time is up (`ReleaseHold`), which a manager may do too;
 * - the steps of a cancellation (`RequestRefund`, `MailGuest`, `AlertManagement`, `RecordRefund`) are the hotel's
 *   own: only the cancellation's process manager and the inbox of billing's replies send them.
 * A signed-in caller refused is FORBIDDEN (403), an anonymous one UNAUTHENTICATED (401); a message type not
 * listed here is refused to everyone. Only the message type and the payload's `guestId` or `bookingId` count.
 *
 * @example
 * mediator.use(hotelPermissions((bookingId) => guestOf(stores.inline.documents.read(bookingLocator), bookingId)));
 */
export function hotelPermissions(owner: BookingOwner): Middleware<Context> {
  const manager = hasRole('manager');
  const staff = hasRole('frontdesk', 'manager');
  const booking = ownBooking(owner);
  return authorize({
    commands: {
      [RegisterRoom.type]: manager,
      [BookRoom.type]: either(manager, ownGuestId),
      [ConfirmBooking.type]: either(staff, booking),
      [ReleaseHold.type]: async (ctx) => (await holdTimer(ctx)) || either(manager)(ctx),
      [CancelBooking.type]: either(staff, booking),
      [CheckIn.type]: staff,
      [CheckOut.type]: staff,
      [RequestRefund.type]: cancellationStep,
      [MailGuest.type]: cancellationStep,
      [AlertManagement.type]: cancellationStep,
      [RecordRefund.type]: cancellationStep,
      [ReplayDeadLetter.type]: manager,
    },
    queries: {
      [FreeRooms.type]: anyone,
      [GuestBookings.type]: either(manager, ownGuestId),
      [GuestMail.type]: either(manager, ownGuestId),
      [BookingDetails.type]: either(staff, booking),
      [CancellationProgress.type]: either(staff, booking),
      [Occupancy.type]: staff,
      [ManagementAlerts.type]: manager,
      [RecentEvents.type]: manager,
      [ProjectionLag.type]: manager,
      [ServiceDeadLetters.type]: manager,
    },
  });
}

/**
 * Who may read a queued command's status (`GET /api/commands/status/{id}`): the user who queued it, and a manager,
 * who may read every one. Anyone else, anonymous callers among them, gets the 404 of an unknown id.
 *
 * @example
 * canReadCommand({ id: 'ada', roles: ['guest'] }, command); // true when ada queued it
 */
export function canReadCommand(principal: Principal | undefined, command: QueuedCommand): boolean {
  if (principal === undefined) return false;
  return has(principal, 'manager') || principal.id === command.envelope.principal?.id;
}
