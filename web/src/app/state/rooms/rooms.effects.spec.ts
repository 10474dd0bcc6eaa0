import { HttpErrorResponse } from '@angular/common/http';
import { Observable, Subject, firstValueFrom, of, throwError, toArray } from 'rxjs';
import { Ack } from '../../core/models';
import { alice, bob } from '../../../testing/fixtures';
import { connectionActions } from '../connection/connection.actions';
import { roomsActions } from './rooms.actions';
import * as fx from './rooms.effects';
import { RoomsState, initialRoomsState, roomsFeature } from './rooms.reducer';

const collect = (o: Observable<unknown>) => firstValueFrom(o.pipe(toArray()));
const ROOM = 'public:lobby';

/** A store whose select() applies the selector to this root state. */
const storeOf = (rooms: RoomsState, session = 'authenticated') => ({
  select: (selector: (s: unknown) => unknown) => of(selector({ rooms, session: { status: session } })),
});

/** A socket whose request() answers from `answers` (by event) and records what was sent. */
function socket(answers: Record<string, Ack<any>> = {}, recovered = false) {
  const sent: Array<[string, unknown]> = [];
  const request = vi.fn((event: string, payload: unknown) => {
    sent.push([event, payload]);
    return of(answers[event] ?? { ok: false, code: 'offline' });
  });
  return { sent, recovered, request, requestBound: request };
}

const reduce = (s: RoomsState, ...a: any[]) => a.reduce(roomsFeature.reducer, s);
const joining = (...names: string[]) => reduce(initialRoomsState, ...names.map((room) => roomsActions.joinRequested({ room })));

describe('rooms effects', () => {
  it('join: presence:join for the room, the ack → Join Succeeded with the attempt', async () => {
    const ack = { ok: true as const, room: ROOM, mode: 'list' as const, version: 3, count: 1, users: [alice] };
    const s = socket({ 'presence:join': ack });
    const out = await collect(fx.join$(of(roomsActions.joinRequested({ room: ROOM })) as any, s as any, storeOf(joining(ROOM)) as any));
    expect(s.sent).toEqual([['presence:join', { room: ROOM }]]);
    expect(out).toEqual([roomsActions.joinSucceeded({ room: ROOM, attempt: 1, ack })]);
  });

  it('join: a refusal → Join Failed with the message for people; offline → nothing (the next CONNECT rejoins)', async () => {
    const refused = socket({ 'presence:join': { ok: false, code: 'too_many_rooms', message: 'limit 100' } });
    const [failed] = (await collect(
      fx.join$(of(roomsActions.joinRequested({ room: ROOM })) as any, refused as any, storeOf(joining(ROOM)) as any),
    )) as any[];
    expect(failed).toEqual(
      roomsActions.joinFailed({
        room: ROOM,
        attempt: 1,
        error: { code: 'too_many_rooms', message: 'You are in as many rooms as allowed. Leave one first.' },
      }),
    );
    const offline = socket();
    expect(
      await collect(fx.join$(of(roomsActions.joinRequested({ room: ROOM })) as any, offline as any, storeOf(joining(ROOM)) as any)),
    ).toEqual([]);
    expect(offline.sent.length).toBe(1); // asked; the socket itself sent nothing
  });

  it('join: an ok ack without a version is bad_ack', async () => {
    const s = socket({ 'presence:join': { ok: true } as any });
    const [a] = (await collect(
      fx.join$(of(roomsActions.joinRequested({ room: ROOM })) as any, s as any, storeOf(joining(ROOM)) as any),
    )) as any[];
    expect(a.type).toBe(roomsActions.joinFailed.type);
    expect(a.error.code).toBe('bad_ack');
  });

  it('rejoin: one presence:join per room in joining, none for a room already joined', async () => {
    const state = reduce(
      joining('public:a', 'public:b'),
      roomsActions.joinSucceeded({
        room: 'public:a',
        attempt: 1,
        ack: { room: 'public:a', mode: 'list', version: 1, count: 0, users: [] },
      }),
    );
    const s = socket({ 'presence:join': { ok: true, room: 'x', mode: 'list', version: 1, count: 0, users: [] } });
    await collect(fx.join$(of(roomsActions.rejoinRequested({ rooms: ['public:a', 'public:b'] })) as any, s as any, storeOf(state) as any));
    expect(s.sent).toEqual([['presence:join', { room: 'public:b' }]]);
  });

  it('leave: presence:leave; only a refusal is reported', async () => {
    const ok = socket({ 'presence:leave': { ok: true } });
    expect(await collect(fx.leave$(of(roomsActions.leaveRequested({ room: ROOM })) as any, ok as any))).toEqual([]);
    expect(ok.sent).toEqual([['presence:leave', { room: ROOM }]]);
    const refused = socket({ 'presence:leave': { ok: false, code: 'rate_limited' } });
    const [a] = (await collect(fx.leave$(of(roomsActions.leaveRequested({ room: ROOM })) as any, refused as any))) as any[];
    expect(a).toMatchObject({ type: roomsActions.leaveFailed.type, room: ROOM, error: { code: 'rate_limited' } });
    expect(await collect(fx.leave$(of(roomsActions.leaveRequested({ room: ROOM })) as any, socket() as any))).toEqual([]);
  });

  it('a dismissed (refused) room is left all the same, the answer ignored', async () => {
    const s = socket({ 'presence:leave': { ok: false, code: 'bad_request' } });
    expect(await collect(fx.leaveDismissed$(of(roomsActions.dismissed({ room: ROOM })) as any, s as any))).toEqual([]);
    expect(s.sent).toEqual([['presence:leave', { room: ROOM }]]);
  });

  it('a stale room after an update → Refetch Requested; a room in sync → nothing', async () => {
    const base = reduce(
      joining(ROOM),
      roomsActions.joinSucceeded({ room: ROOM, attempt: 1, ack: { room: ROOM, mode: 'list', version: 1, count: 1, users: [alice] } }),
    );
    const gap = roomsActions.updateReceived({ update: { room: ROOM, mode: 'list', version: 4, count: 1 } });
    expect(await collect(fx.refetchOnGap$(of(gap) as any, storeOf(reduce(base, gap)) as any))).toEqual([
      roomsActions.refetchRequested({ room: ROOM }),
    ]);
    const next = roomsActions.updateReceived({ update: { room: ROOM, mode: 'list', version: 2, count: 1 } });
    expect(await collect(fx.refetchOnGap$(of(next) as any, storeOf(reduce(base, next)) as any))).toEqual([]);
  });

  it('refetch: GET the room presence; one request at a time per room; failures and . / .. end as Snapshot Failed', async () => {
    const snapshot = { room: ROOM, version: 9, count: 1, users: [bob] };
    const pending = new Subject<typeof snapshot>();
    const api = { roomPresence: vi.fn(() => pending) };
    const actions = new Subject<any>();
    const out: unknown[] = [];
    fx.refetch$(actions as any, api as any).subscribe((a) => out.push(a));
    actions.next(roomsActions.refetchRequested({ room: ROOM }));
    actions.next(roomsActions.refetchRequested({ room: ROOM }));
    actions.next(roomsActions.refetchRequested({ room: 'public:other' }));
    expect(api.roomPresence.mock.calls).toEqual([[ROOM], ['public:other']]);
    pending.next(snapshot);
    expect(out).toContainEqual(roomsActions.snapshotLoaded({ room: ROOM, snapshot }));

    const failing = { roomPresence: vi.fn(() => throwError(() => new HttpErrorResponse({ status: 404, statusText: 'Not Found' }))) };
    expect(await collect(fx.refetch$(of(roomsActions.refetchRequested({ room: ROOM })) as any, failing as any))).toEqual([
      roomsActions.snapshotFailed({ room: ROOM, message: '404 Not Found' }),
    ]);
    const unused = { roomPresence: vi.fn() };
    const [dots] = (await collect(fx.refetch$(of(roomsActions.refetchRequested({ room: '..' })) as any, unused as any))) as any[];
    expect(dots.type).toBe(roomsActions.snapshotFailed.type);
    expect(unused.roomPresence).not.toHaveBeenCalled();
  });

  it('a failed refetch rejoins the room (its ack is a snapshot)', async () => {
    const state = reduce(
      joining(ROOM),
      roomsActions.joinSucceeded({ room: ROOM, attempt: 1, ack: { room: ROOM, mode: 'list', version: 1, count: 0, users: [] } }),
    );
    expect(
      await collect(
        fx.rejoinWhenRefetchFails$(of(roomsActions.snapshotFailed({ room: ROOM, message: 'x' })) as any, storeOf(state) as any),
      ),
    ).toEqual([roomsActions.rejoinRequested({ rooms: [ROOM] })]);
  });

  describe('after a CONNECT', () => {
    const connected = (socketId: string | null = 's2') =>
      connectionActions.statusChanged({ status: 'connected', socketId, attempt: 0, reason: null });
    const state = reduce(
      joining('public:a', 'public:b', 'public:c'),
      roomsActions.joinSucceeded({
        room: 'public:a',
        attempt: 1,
        ack: { room: 'public:a', mode: 'list', version: 1, count: 0, users: [] },
      }),
      roomsActions.joinFailed({ room: 'public:c', attempt: 1, error: { code: 'forbidden', message: 'no' } }),
    );

    it('rejoins every room not refused', async () => {
      expect(await collect(fx.rejoinOnConnect$(of(connected()) as any, storeOf(state) as any, socket() as any))).toEqual([
        roomsActions.rejoinRequested({ rooms: ['public:a', 'public:b'] }),
      ]);
    });

    it('a recovered session kept its rooms: only unanswered joins are sent again', async () => {
      expect(await collect(fx.rejoinOnConnect$(of(connected()) as any, storeOf(state) as any, socket({}, true) as any))).toEqual([
        roomsActions.rejoinRequested({ rooms: ['public:b'] }),
      ]);
    });

    it('nothing before the namespace CONNECT, when signed out, or with no rooms', async () => {
      expect(await collect(fx.rejoinOnConnect$(of(connected(null)) as any, storeOf(state) as any, socket() as any))).toEqual([]);
      expect(await collect(fx.rejoinOnConnect$(of(connected()) as any, storeOf(state, 'anonymous') as any, socket() as any))).toEqual([]);
      expect(await collect(fx.rejoinOnConnect$(of(connected()) as any, storeOf(initialRoomsState) as any, socket() as any))).toEqual([]);
    });
  });

  it('presence:update reaches the store only while signed in', async () => {
    const update = { room: ROOM, mode: 'list' as const, version: 2, count: 1 };
    const s = { roomUpdate$: of(update) };
    expect(await collect(fx.roomUpdates$(s as any, storeOf(initialRoomsState) as any))).toEqual([roomsActions.updateReceived({ update })]);
    expect(await collect(fx.roomUpdates$(s as any, storeOf(initialRoomsState, 'anonymous') as any))).toEqual([]);
  });
});
