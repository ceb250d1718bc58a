import { describe, expect, it } from 'vitest';
import { hotel, RegisterGuest, RenameGuest } from '../../tests/fixtures/hotel-write-models.js';
import { START } from '../positions/position.js';

describe('state-stored write model', () => {
  it('saves the state with a version, and appends its events to the log in the same commit', async () => {
    const { store, mediator } = hotel();
    const { position } = await mediator.execute(RegisterGuest, { guestId: 'g1', name: 'Ada' });
    expect(position).toBe(1);
    await mediator.send(RenameGuest, { guestId: 'g1', name: 'Ada L.' });
    expect(await store.load('guest', 'g1')).toEqual({ state: { name: 'Ada L.' }, version: 2 });
    const log = await store.readAll(START, 10);
    expect(log.map((e) => [e.type, e.streamId])).toEqual([['hotel.GuestRegistered', 'guest-g1']]);
    await expect(mediator.send(RegisterGuest, { guestId: 'g1', name: 'Eve' })).rejects.toMatchObject({
      rule: 'GUEST_EXISTS',
    });
  });

  it('retries concurrent changes of one aggregate on the state version', async () => {
    const { store, mediator } = hotel({ retries: 10 });
    await mediator.send(RegisterGuest, { guestId: 'g1', name: 'Ada' });
    await Promise.all(['a', 'b', 'c'].map((name) => mediator.send(RenameGuest, { guestId: 'g1', name })));
    expect((await store.load('guest', 'g1'))?.version).toBe(4);
  });
});
