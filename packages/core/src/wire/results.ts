import type { GlobalPosition } from '../positions/position.js';

/**
 * The JSON body a successful `POST /commands/{type}` answers: the command's result (`null` when its handler
 * returned nothing) and the global position its write committed at (`null` when it wrote no event). Pass
 * `position` as `Twofold-After` to read your own write.
 *
 * @example
 * const body = (await response.json()) as CommandResultBody<{ bookingId: string }>;
 * body.result.bookingId; // 'b-17'
 * body.position;         // 42
 */
export interface CommandResultBody<R = unknown> {
  readonly result: R | null;
  readonly position: GlobalPosition | null;
}
