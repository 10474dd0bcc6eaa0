import { alice, bob, carol, dave } from '../../../testing/fixtures';
import { sessionActions } from '../session/session.actions';
import { onlineActions } from './online.actions';
import { OnlineState, initialOnlineState, isGap, onlineFeature } from './online.reducer';

const reduce = onlineFeature.reducer;
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

function loaded(): OnlineState {
  return reduce(
    initialOnlineState,
    onlineActions.snapshotLoaded({ snapshot: { version: 5, count: 2, users: [alice, bob] }, basis: null, at: T0 }),
  );
}

describe('online reducer', () => {
  it('starts empty', () => {
    expect(reduce(undefined, { type: '@@init' })).toEqual(initialOnlineState);
  });

  describe('Update Received', () => {
    it('applies joined and left when the version follows', () => {
      const s = reduce(
        loaded(),
        onlineActions.updateReceived({ update: { version: 6, count: 2, joined: [carol], left: [2] }, previousVersion: 5, at: T0 + 1000 }),
      );
      expect(Object.keys(s.users).map(Number).sort()).toEqual([1, 3]);
      expect(s).toMatchObject({ version: 6, count: 2, lastUpdate: T0 + 1000 });
      expect(s.since[3]).toBe(T0 + 1000);
      expect(s.since[2]).toBeUndefined();
      expect(s.since[1]).toBe(T0);
    });

    it('a full users list replaces the list (keeping known "since" times)', () => {
      const s = reduce(
        loaded(),
        onlineActions.updateReceived({
          update: { version: 9, count: 2, joined: [], left: [], users: [alice, dave] },
          previousVersion: 5,
          at: T0 + 5000,
        }),
      );
      expect(Object.keys(s.users).map(Number).sort()).toEqual([1, 4]);
      expect(s.version).toBe(9);
      expect(s.since).toEqual({ 1: T0, 4: T0 + 5000 });
    });

    it('ignores a duplicate or older delta', () => {
      const s = loaded();
      expect(
        reduce(s, onlineActions.updateReceived({ update: { version: 5, count: 3, joined: [carol] }, previousVersion: 5, at: T0 })),
      ).toBe(s);
    });

    it('applies a delta with a gap (the effects refetch the list)', () => {
      const s = reduce(
        loaded(),
        onlineActions.updateReceived({ update: { version: 8, count: 3, joined: [carol], left: [] }, previousVersion: 5, at: T0 }),
      );
      expect(s.version).toBe(8);
      expect(s.users[3]).toEqual(carol);
    });

    it('a joined user already listed keeps its "since"', () => {
      const s = reduce(
        loaded(),
        onlineActions.updateReceived({ update: { version: 6, count: 2, joined: [{ ...alice, email: 'new@x' }] }, previousVersion: 5, at: T0 + 9 }),
      );
      expect(s.since[1]).toBe(T0);
      expect(s.users[1].email).toBe('new@x');
    });
  });

  describe('Snapshot Loaded', () => {
    it('replaces the list', () => {
      const s = loaded();
      expect(s).toMatchObject({ version: 5, count: 2, loaded: true, lastUpdate: T0 });
      expect(Object.keys(s.users).map(Number)).toEqual([1, 2]);
    });

    it('uses last_seen for "since" on the first list only', () => {
      const seen = '2026-11-25T11:30:00Z';
      const s = reduce(
        initialOnlineState,
        onlineActions.snapshotLoaded({ snapshot: { version: 1, count: 1, users: [{ ...alice, last_seen: seen }] }, basis: null, at: T0 }),
      );
      expect(s.since[1]).toBe(Date.parse(seen));
      const next = reduce(
        s,
        onlineActions.snapshotLoaded({ snapshot: { version: 2, count: 2, users: [alice, { ...bob, last_seen: seen }] }, basis: 1, at: T0 + 60000 }),
      );
      expect(next.since[2]).toBe(T0 + 60000);
    });

    it('is dropped when a newer update arrived while the request was out', () => {
      const s = reduce(loaded(), onlineActions.updateReceived({ update: { version: 6, count: 3, joined: [carol] }, previousVersion: 5, at: T0 }));
      expect(
        reduce(s, onlineActions.snapshotLoaded({ snapshot: { version: 5, count: 2, users: [alice, bob] }, basis: 5, at: T0 + 1 })),
      ).toBe(s);
    });

    it('is applied when nothing changed meanwhile, even with a lower version (server restarted)', () => {
      const s = loaded();
      const next = reduce(s, onlineActions.snapshotLoaded({ snapshot: { version: 1, count: 1, users: [dave] }, basis: 5, at: T0 + 1 }));
      expect(next.version).toBe(1);
      expect(Object.keys(next.users)).toEqual(['4']);
    });
  });

  it('Snapshot Failed and Refetch Requested change nothing', () => {
    const s = loaded();
    expect(reduce(s, onlineActions.snapshotFailed({ message: 'x' }))).toBe(s);
    expect(reduce(s, onlineActions.refetchRequested({ reason: 'gap' }))).toBe(s);
  });

  it('resets on login, logout, 401 and remote logout', () => {
    for (const a of [
      sessionActions.loginSucceeded({ user: alice, token: 't' }),
      sessionActions.registerSucceeded({ user: alice, token: 't' }),
      sessionActions.logoutRequested(),
      sessionActions.unauthorized(),
      sessionActions.loggedOutRemotely({ reason: 'logout' }),
    ]) {
      expect(reduce(loaded(), a)).toEqual(initialOnlineState);
    }
  });

  it('isGap: previous+1 is no gap, anything else is, a full list never is', () => {
    expect(isGap({ version: 6, count: 0 }, 5)).toBe(false);
    expect(isGap({ version: 7, count: 0 }, 5)).toBe(true);
    expect(isGap({ version: 4, count: 0 }, 5)).toBe(true);
    expect(isGap({ version: 1, count: 0 }, null)).toBe(true);
    expect(isGap({ version: 9, count: 0, users: [] }, 5)).toBe(false);
  });
});
