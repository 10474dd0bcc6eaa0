import { Action, ActionReducerMap, combineReducers } from '@ngrx/store';
import { alice, bob, carol } from '../../testing/fixtures';
import { connectionActions } from './connection/connection.actions';
import { connectionFeature } from './connection/connection.reducer';
import { onlineActions } from './online/online.actions';
import { onlineFeature } from './online/online.reducer';
import { selectOnlineCount, selectOnlineList } from './online/online.selectors';
import { sessionActions } from './session/session.actions';
import { sessionFeature } from './session/session.reducer';
import { selectSessionPending } from './session/session.selectors';

const reducers: ActionReducerMap<any> = {
  session: sessionFeature.reducer,
  online: onlineFeature.reducer,
  connection: connectionFeature.reducer,
};
const root = combineReducers(reducers);
const run = (actions: Action[], start?: any) => actions.reduce((s, a) => root(s, a), start ?? root(undefined, { type: '@@init' }));

describe('selectors', () => {
  beforeEach(() => {
    selectOnlineList.release();
  });

  function populated() {
    return run([
      sessionActions.loginSucceeded({ user: bob, token: 't' }),
      onlineActions.snapshotLoaded({ snapshot: { version: 1, count: 3, users: [carol, alice, bob] }, basis: null, at: 1 }),
    ]);
  }

  it('sorts the current user first, then by username (case-insensitive)', () => {
    const list = selectOnlineList(populated());
    expect(list.map((e) => e.username)).toEqual(['bob', 'alice', 'Carol']);
    expect(list.map((e) => e.isMe)).toEqual([true, false, false]);
    expect(selectOnlineCount(populated())).toBe(3);
  });

  it('keeps the sorted list memoized when unrelated slices change (pings, connection, form errors)', () => {
    const s1 = populated();
    const list1 = selectOnlineList(s1);
    const s2 = run(
      [
        connectionActions.pingReceived({ seq: 1, ts: 1, at: 2 }),
        connectionActions.statusChanged({ status: 'reconnecting', socketId: null, attempt: 1, reason: 'x' }),
        connectionActions.pingReceived({ seq: 2, ts: 2, at: 3 }),
        sessionActions.errorsCleared(),
      ],
      s1,
    );
    expect(s2).not.toBe(s1);
    expect(s2.online).toBe(s1.online);
    expect(selectOnlineList(s2)).toBe(list1);
  });

  it('recomputes when the online slice changes', () => {
    const s1 = populated();
    const list1 = selectOnlineList(s1);
    const s2 = run([onlineActions.updateReceived({ update: { version: 2, count: 2, left: [3] }, previousVersion: 1, at: 5 })], s1);
    const list2 = selectOnlineList(s2);
    expect(list2).not.toBe(list1);
    expect(list2.map((e) => e.id)).toEqual([2, 1]);
  });

  it('pending while the session is unknown or restoring', () => {
    const init = run([]);
    expect(selectSessionPending(init)).toBe(true);
    expect(selectSessionPending(run([sessionActions.restoreStarted({ token: 't' })]))).toBe(true);
    expect(selectSessionPending(run([sessionActions.noSession()]))).toBe(false);
  });
});
