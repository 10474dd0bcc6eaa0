import { statsPayload } from '../../../testing/stats';
import { connectionActions } from '../connection/connection.actions';
import { sessionActions } from '../session/session.actions';
import { parseStats } from './operator.models';
import { HISTORY_LIMIT, OperatorState, appendSample, initialOperatorState, operatorFeature } from './operator.reducer';

const reduce = operatorFeature.reducer;
const T0 = 1_764_000_000_000;
const push = (s: OperatorState, payload: unknown, at = 0) => reduce(s, connectionActions.statsReceived({ stats: payload, at }));

describe('operator models', () => {
  it('parses the wire payload into numbers', () => {
    const sample = parseStats(statsPayload({ at: T0 }), 42)!;
    expect(sample.receivedAt).toBe(42);
    expect(sample.self).toEqual({
      node: 'node-a',
      at: T0,
      connectionsBound: 120,
      connectionsAnonymous: 3,
      usersOnline: 87,
      pongsPerSec: 1523.4,
      broadcasts: 4021,
      actors: { conn: 123, presence: 1, redis_bridge: 0, store_writer: 1, user: 87 },
      mailboxHighWater: { conn: 2, presence: 4, redis_bridge: 0, store_writer: 0, user: 1 },
      sessions: { polling: 2, websocket: 121 },
      bytesIn: 123_456,
      bytesOut: 999_999,
      slowConsumers: 0,
    });
    expect(sample.others).toEqual([]);
  });

  it('tolerates missing and wrong fields, rejects a payload without node or time', () => {
    const s = parseStats({ node: 'n', at: 5, connections: { bound: 'x' }, actors: [1], extra: null }, 0)!;
    expect(s.self).toMatchObject({ connectionsBound: 0, connectionsAnonymous: 0, actors: {}, sessions: {}, bytesIn: null, slowConsumers: null });
    expect(parseStats(null, 0)).toBeNull();
    expect(parseStats({ sockets: 5 }, 0)).toBeNull();
    expect(parseStats({ node: 'n' }, 0)).toBeNull();
    expect(parseStats([], 0)).toBeNull();
  });

  it('lists the other nodes by name, leaving out bad entries and this node', () => {
    const s = parseStats(
      statsPayload({ node: 'b', nodes: [statsPayload({ node: 'c' }), { nope: 1 }, statsPayload({ node: 'a' }), statsPayload({ node: 'b' })] }),
      0,
    )!;
    expect(s.others.map((o) => o.node)).toEqual(['a', 'c']);
  });
});

describe('operator reducer', () => {
  it('keeps each push as a sample, oldest first', () => {
    let s = initialOperatorState;
    s = push(s, statsPayload({ at: T0 }), 1);
    s = push(s, statsPayload({ at: T0 + 1000 }), 2);
    expect(s.samples.map((x) => x.self.at)).toEqual([T0, T0 + 1000]);
    expect(s.samples.map((x) => x.receivedAt)).toEqual([1, 2]);
  });

  it('is a bounded ring: at most HISTORY_LIMIT samples, the oldest drop out', () => {
    let s = initialOperatorState;
    for (let i = 0; i < HISTORY_LIMIT + 25; i++) s = push(s, statsPayload({ at: T0 + i * 1000 }), i);
    expect(s.samples.length).toBe(HISTORY_LIMIT);
    expect(s.samples[0].self.at).toBe(T0 + 25 * 1000);
    expect(s.samples.at(-1)!.self.at).toBe(T0 + (HISTORY_LIMIT + 24) * 1000);
  });

  it('appendSample respects any limit and never mutates its input', () => {
    const mk = (at: number) => parseStats(statsPayload({ at }), 0)!;
    const a = [mk(1), mk(2), mk(3)];
    const b = appendSample(a, mk(4), 3);
    expect(b.map((x) => x.self.at)).toEqual([2, 3, 4]);
    expect(a.map((x) => x.self.at)).toEqual([1, 2, 3]);
  });

  it('drops a duplicate or late push, and an unusable payload, without a new state', () => {
    const s1 = push(initialOperatorState, statsPayload({ at: T0 }));
    expect(push(s1, statsPayload({ at: T0 }))).toBe(s1);
    expect(push(s1, statsPayload({ at: T0 - 1000 }))).toBe(s1);
    expect(push(s1, { sockets: 5 })).toBe(s1);
    expect(push(s1, null)).toBe(s1);
  });

  it('starts again when the socket is now on another node', () => {
    let s = push(initialOperatorState, statsPayload({ node: 'a', at: T0 }));
    s = push(s, statsPayload({ node: 'a', at: T0 + 1000 }));
    s = push(s, statsPayload({ node: 'b', at: T0 + 500 }));
    expect(s.samples.map((x) => x.self.node)).toEqual(['b']);
  });

  it('forgets everything on logout, a 401 and a remote logout', () => {
    const s = push(initialOperatorState, statsPayload({ at: T0 }));
    expect(reduce(s, sessionActions.logoutRequested())).toEqual(initialOperatorState);
    expect(reduce(s, sessionActions.unauthorized())).toEqual(initialOperatorState);
    expect(reduce(s, sessionActions.loggedOutRemotely({ reason: 'logout' }))).toEqual(initialOperatorState);
  });
});
