import { given } from '@twofold/core/testing';
import { it } from 'vitest';
import { rooms } from './rooms.js';

const room = { roomId: '101', number: '101', type: 'double', pricePerNight: 120 } as const;

it('registers a room once', () => {
  given(rooms)
    .when({ type: 'hotel.RegisterRoom', data: room })
    .thenEvents([{ type: 'hotel.RoomRegistered', data: room }], room);
  given(rooms, { state: room }).when({ type: 'hotel.RegisterRoom', data: room }).thenRefuses('ROOM_EXISTS');
});
