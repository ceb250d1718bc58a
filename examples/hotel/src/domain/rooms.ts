import { DomainError, defineStateModel, type PayloadOf } from '@twofold/core';
import { RegisterRoom } from '../messages/commands.js';
import { RoomRegistered } from '../messages/events.js';

export type Room = PayloadOf<typeof RegisterRoom>;

/**
 * Rooms are state-stored: one JSON document per room with a version. Nobody needs a room's history, so it is not
 * event-sourced; it still raises RoomRegistered for the read models.
 */
export const rooms = defineStateModel({
  name: 'room',
  commands: [RegisterRoom],
  events: [RoomRegistered],
  initialState: (): Room | null => null,
  decide: (command, room) => {
    if (room !== null) {
      throw new DomainError('ROOM_EXISTS', `Room ${room.roomId} is already registered`, { roomId: room.roomId });
    }
    return { state: command.data, events: [{ type: 'hotel.RoomRegistered', data: command.data }] };
  },
});
