import { JoinAck, RoomUpdate } from '../../core/models';
import { alice, bob, carol, dave } from '../../../testing/fixtures';
import { sessionActions } from '../session/session.actions';
import { roomsActions } from './rooms.actions';
import { Room, RoomsState, classifyUpdate, initialRoomsState, roomOf, roomsFeature } from './rooms.reducer';

const reduce = roomsFeature.reducer;
const ROOM = 'public:lobby';
const err = { code: 'too_many_rooms', message: 'full' };

const ack = (o: Partial<JoinAck> = {}): JoinAck => ({ room: ROOM, mode: 'list', version: 5, count: 2, users: [alice, bob], ...o });
const upd = (o: Partial<RoomUpdate> = {}): RoomUpdate => ({
  room: ROOM,
  mode: 'list',
  version: 6,
  count: 2,
  joined: [],
  left: [],
  changed: [],
  ...o,
});
const run = (s: RoomsState, ...actions: Parameters<typeof reduce>[1][]) => actions.reduce(reduce, s);
const room = (s: RoomsState, name = ROOM) => roomOf(s, name)!;
const ids = (r: Room) => Object.keys(r.members ?? {}).map(Number);

/** ROOM joined at version 5 with alice and bob. */
function joined(): RoomsState {
  return run(
    initialRoomsState,
    roomsActions.joinRequested({ room: ROOM }),
    roomsActions.joinSucceeded({ room: ROOM, attempt: 1, ack: ack() }),
  );
}

describe('rooms reducer', () => {
  it('Join Requested adds a joining room (once); the ack gives its members, count and version', () => {
    const s1 = reduce(initialRoomsState, roomsActions.joinRequested({ room: ROOM }));
    expect(s1.names).toEqual([ROOM]);
    expect(room(s1)).toMatchObject({ status: 'joining', attempt: 1, version: null, members: null });
    expect(reduce(s1, roomsActions.joinRequested({ room: ROOM }))).toBe(s1);
    const s2 = reduce(s1, roomsActions.joinSucceeded({ room: ROOM, attempt: 1, ack: ack() }));
    expect(room(s2)).toMatchObject({ status: 'joined', mode: 'list', version: 5, count: 2, stale: false, error: null });
    expect(ids(room(s2))).toEqual([1, 2]);
  });

  it('several rooms at once, in the order joined', () => {
    const s = run(
      initialRoomsState,
      roomsActions.joinRequested({ room: 'public:b' }),
      roomsActions.joinRequested({ room: 'public:a' }),
      roomsActions.joinSucceeded({ room: 'public:a', attempt: 1, ack: ack({ room: 'public:a', users: [carol], count: 1 }) }),
    );
    expect(s.names).toEqual(['public:b', 'public:a']);
    expect(room(s, 'public:b').status).toBe('joining');
    expect(ids(room(s, 'public:a'))).toEqual([3]);
  });

  it('a count-mode ack holds only the count', () => {
    const s = run(
      initialRoomsState,
      roomsActions.joinRequested({ room: ROOM }),
      roomsActions.joinSucceeded({ room: ROOM, attempt: 1, ack: ack({ mode: 'count', users: undefined, count: 5000 }) }),
    );
    expect(room(s)).toMatchObject({ mode: 'count', count: 5000, members: null });
  });

  it('answers to an older attempt, or for a room not held, change nothing', () => {
    const s1 = run(initialRoomsState, roomsActions.joinRequested({ room: ROOM }), roomsActions.rejoinRequested({ rooms: [ROOM] }));
    expect(room(s1).attempt).toBe(2);
    expect(reduce(s1, roomsActions.joinSucceeded({ room: ROOM, attempt: 1, ack: ack() }))).toBe(s1);
    expect(reduce(s1, roomsActions.joinFailed({ room: ROOM, attempt: 1, error: err }))).toBe(s1);
    expect(reduce(s1, roomsActions.joinSucceeded({ room: 'public:other', attempt: 1, ack: ack() }))).toBe(s1);
  });

  it('a refused join shows its error; joining again (Retry) starts a new attempt; Dismiss removes it', () => {
    const s1 = run(
      initialRoomsState,
      roomsActions.joinRequested({ room: ROOM }),
      roomsActions.joinFailed({ room: ROOM, attempt: 1, error: err }),
    );
    expect(room(s1)).toMatchObject({ status: 'error', error: err });
    const s2 = reduce(s1, roomsActions.joinRequested({ room: ROOM }));
    expect(room(s2)).toMatchObject({ status: 'joining', attempt: 2, error: null });
    expect(reduce(s1, roomsActions.dismissed({ room: ROOM }))).toEqual(initialRoomsState);
  });

  it('Leave Requested removes the room at once; a refused leave is a notice', () => {
    const s = reduce(joined(), roomsActions.leaveRequested({ room: ROOM }));
    expect(s.names).toEqual([]);
    expect(roomOf(s, ROOM)).toBeUndefined();
    const n = reduce(s, roomsActions.leaveFailed({ room: ROOM, error: err }));
    expect(n.notice).toEqual({ room: ROOM, error: err });
    expect(reduce(n, roomsActions.noticeDismissed()).notice).toBeNull();
  });

  it('applies consecutive diffs: joined, left, changed', () => {
    const away = { ...bob, status: 'away' as const };
    const s = run(
      joined(),
      roomsActions.updateReceived({ update: upd({ version: 6, count: 3, joined: [carol] }) }),
      roomsActions.updateReceived({ update: upd({ version: 7, count: 2, left: [1], changed: [away, dave] }) }),
    );
    const r = room(s);
    expect(r).toMatchObject({ version: 7, count: 2, stale: false });
    expect(ids(r)).toEqual([2, 3]);
    expect(r.members![2].status).toBe('away');
  });

  it('ignores duplicates, older versions, unknown rooms and rooms not joined', () => {
    const s = joined();
    expect(reduce(s, roomsActions.updateReceived({ update: upd({ version: 5, joined: [carol] }) }))).toBe(s);
    expect(reduce(s, roomsActions.updateReceived({ update: upd({ version: 3 }) }))).toBe(s);
    expect(reduce(s, roomsActions.updateReceived({ update: upd({ room: 'public:else' }) }))).toBe(s);
    const joining = reduce(initialRoomsState, roomsActions.joinRequested({ room: ROOM }));
    expect(reduce(joining, roomsActions.updateReceived({ update: upd() }))).toBe(joining);
    // A name that is a property of every object is still just a name.
    expect(reduce(s, roomsActions.updateReceived({ update: upd({ room: 'constructor' }) }))).toBe(s);
  });

  it('a version gap marks the room stale and applies nothing until a snapshot', () => {
    const s1 = reduce(joined(), roomsActions.updateReceived({ update: upd({ version: 8, joined: [carol] }) }));
    expect(room(s1)).toMatchObject({ stale: true, version: 5 });
    expect(ids(room(s1))).toEqual([1, 2]);
    // Further diffs wait too (the same object: no redraw).
    expect(reduce(s1, roomsActions.updateReceived({ update: upd({ version: 9 }) }))).toBe(s1);
    // The snapshot replaces the list, even one "older" than nothing we applied.
    const s2 = reduce(s1, roomsActions.snapshotLoaded({ room: ROOM, snapshot: { room: ROOM, version: 9, count: 2, users: [bob, carol] } }));
    expect(room(s2)).toMatchObject({ stale: false, version: 9, count: 2 });
    expect(ids(room(s2))).toEqual([2, 3]);
    // And diffs follow it again.
    const s3 = reduce(s2, roomsActions.updateReceived({ update: upd({ version: 10, left: [3], count: 1 }) }));
    expect(ids(room(s3))).toEqual([2]);
  });

  it('a snapshot older than a list held in sync is dropped', () => {
    const s = joined();
    expect(reduce(s, roomsActions.snapshotLoaded({ room: ROOM, snapshot: { room: ROOM, version: 4, count: 0, users: [] } }))).toBe(s);
    expect(
      room(reduce(s, roomsActions.snapshotLoaded({ room: ROOM, snapshot: { room: ROOM, version: 5, count: 1, users: [bob] } }))).count,
    ).toBe(1);
  });

  it('count mode: counts apply whatever the step; a list-mode diff then needs a refetch', () => {
    const s1 = run(
      joined(),
      roomsActions.updateReceived({ update: { room: ROOM, mode: 'count', version: 40, count: 1200 } }),
      roomsActions.updateReceived({ update: { room: ROOM, mode: 'count', version: 90, count: 1300 } }),
    );
    expect(room(s1)).toMatchObject({ mode: 'count', version: 90, count: 1300, members: null });
    expect(reduce(s1, roomsActions.updateReceived({ update: { room: ROOM, mode: 'count', version: 80, count: 1 } }))).toBe(s1);
    const s2 = reduce(s1, roomsActions.updateReceived({ update: upd({ version: 91, count: 900, left: [7] }) }));
    expect(room(s2)).toMatchObject({ stale: true, mode: 'count', count: 1300 });
    // A snapshot without a list (or an empty one with a count) stays in count mode.
    const s3 = reduce(s2, roomsActions.snapshotLoaded({ room: ROOM, snapshot: { room: ROOM, version: 91, count: 900, users: [] } }));
    expect(room(s3)).toMatchObject({ mode: 'count', count: 900, stale: false });
    const s4 = reduce(s3, roomsActions.snapshotLoaded({ room: ROOM, snapshot: { room: ROOM, version: 92, count: 1, users: [alice] } }));
    expect(room(s4)).toMatchObject({ mode: 'list', count: 1 });
  });

  it('Rejoin Requested puts the named rooms back to joining, keeping what is shown', () => {
    const s = run(
      joined(),
      roomsActions.joinRequested({ room: 'public:x' }),
      roomsActions.joinFailed({ room: 'public:x', attempt: 1, error: err }),
    );
    const r = reduce(s, roomsActions.rejoinRequested({ rooms: [ROOM, 'public:gone'] }));
    expect(room(r)).toMatchObject({ status: 'joining', attempt: 2, version: 5 });
    expect(ids(room(r))).toEqual([1, 2]);
    expect(room(r, 'public:x').status).toBe('error');
    // The rejoin's ack replaces everything, its version too (a restarted server may count from 1).
    const after = reduce(r, roomsActions.joinSucceeded({ room: ROOM, attempt: 2, ack: ack({ version: 1, users: [carol], count: 1 }) }));
    expect(room(after)).toMatchObject({ status: 'joined', version: 1 });
    expect(ids(room(after))).toEqual([3]);
  });

  it('classifyUpdate', () => {
    const r = room(joined());
    expect(classifyUpdate(undefined, upd())).toBe('ignore');
    expect(classifyUpdate(r, upd({ version: 6 }))).toBe('apply');
    expect(classifyUpdate(r, upd({ version: 7 }))).toBe('gap');
    expect(classifyUpdate(r, upd({ version: 5 }))).toBe('ignore');
    expect(classifyUpdate({ ...r, stale: true }, upd({ version: 6 }))).toBe('gap');
    expect(classifyUpdate(r, { room: ROOM, mode: 'count', version: 60, count: 1 })).toBe('apply');
  });

  it('forgets every room when the session changes', () => {
    const s = joined();
    for (const a of [
      sessionActions.logoutRequested(),
      sessionActions.unauthorized(),
      sessionActions.loggedOutRemotely({ reason: 'logout' }),
      sessionActions.loginSucceeded({ user: bob, token: 't' }),
    ]) {
      expect(reduce(s, a)).toEqual(initialRoomsState);
    }
  });
});
