import { createMediator, defineCommand, defineQuery, type Mediator, type Middleware } from '@twofold/core';
import {
  type BookRoom,
  bookRoom,
  passSchema,
  type Room,
  type RoomById,
  roomById,
  zodBookRoom,
  zodRoom,
  zodRoomById,
} from './workload.js';

/** The workload's messages, once with a schema that does nothing and once with zod 4. */
export const messages = {
  pass: {
    BookRoom: defineCommand('bench.BookRoom', passSchema<BookRoom>(), { result: passSchema<number>() }),
    RoomById: defineQuery('bench.RoomById', passSchema<RoomById>(), passSchema<Room | undefined>()),
  },
  zod: {
    BookRoom: defineCommand('bench.zod.BookRoom', zodBookRoom, { result: passSchema<number>() }),
    RoomById: defineQuery('bench.zod.RoomById', zodRoomById, zodRoom),
  },
};

const passThrough: Middleware = (_ctx, next) => next();

/** A mediator with the workload's handlers and `middlewares` pass-through middlewares around every message. */
export function twofoldMediator(middlewares: number): Mediator {
  const mediator = createMediator();
  for (const { BookRoom, RoomById } of [messages.pass, messages.zod]) {
    mediator.command(BookRoom, bookRoom).query(RoomById, roomById);
  }
  for (let i = 0; i < middlewares; i++) mediator.use(passThrough);
  return mediator;
}
