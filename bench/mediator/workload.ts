import type { StandardSchemaV1 } from '@twofold/core';
import { z } from 'zod';

/** The command every contender handles: the same input object on every call. */
export interface BookRoom {
  readonly roomId: string;
  readonly nights: number;
}

/** The query every contender answers. */
export interface RoomById {
  readonly roomId: string;
}

export interface Room {
  readonly id: string;
  readonly floor: number;
}

export const bookRoomInput: BookRoom = { roomId: '101', nights: 2 };
export const roomByIdInput: RoomById = { roomId: '101' };

const rooms = new Map<string, Room>([['101', { id: '101', floor: 1 }]]);

/** The command handler's work, shared by every contender so that only the dispatch differs. */
export async function bookRoom({ roomId, nights }: BookRoom): Promise<number> {
  return roomId.length + nights;
}

/** The query handler's work, shared by every contender. */
export async function roomById({ roomId }: RoomById): Promise<Room | undefined> {
  return rooms.get(roomId);
}

/** A Standard Schema v1 whose validation does nothing, so that a row measures the dispatch alone. */
export function passSchema<T>(): StandardSchemaV1<T> {
  return { '~standard': { version: 1, vendor: 'twofold-bench', validate: (value) => ({ value: value as T }) } };
}

export const zodBookRoom = z.object({ roomId: z.string(), nights: z.int().positive() });
export const zodRoomById = z.object({ roomId: z.string() });
export const zodRoom = z.object({ id: z.string(), floor: z.int() }).optional();

/** The same three pass-through middlewares, in each contender's own middleware shape. */
export const PASS_THROUGH = 3;
