import { alice, bob, carol } from '../../../testing/fixtures';
import { UsersPage } from '../../core/models';
import { onlineActions } from '../online/online.actions';
import { sessionActions } from '../session/session.actions';
import { directoryActions } from './directory.actions';
import { DirectoryState, directoryFeature, initialDirectoryState, isUsersPage } from './directory.reducer';

const reduce = directoryFeature.reducer;
const run = (s: DirectoryState, ...a: Parameters<typeof reduce>[1][]) => a.reduce(reduce, s);
const page = (results: unknown[], over: Partial<UsersPage> = {}): UsersPage =>
  ({ count: results.length, next: null, previous: null, results, ...over }) as UsersPage;
const NEXT = 'http://x/api/users/?page=2';

describe('directory reducer', () => {
  it('Page Requested marks the page loading; Page Loaded holds it with the pager facts', () => {
    const s1 = reduce(initialDirectoryState, directoryActions.pageRequested({ page: 1 }));
    expect(s1).toMatchObject({ requested: 1, loading: true, current: null, error: null });
    const s2 = reduce(s1, directoryActions.pageLoaded({ page: 1, response: page([alice, bob], { count: 60, next: NEXT }), at: 5 }));
    expect(s2.loading).toBe(false);
    expect(s2.current).toEqual({ page: 1, count: 60, hasNext: true, hasPrevious: false, users: [alice, bob], at: 5 });
    // A page with a next one tells the page size.
    expect(s2.pageSize).toBe(2);
  });

  it('the last page (shorter, no next) does not change the page size learned', () => {
    const s = run(
      initialDirectoryState,
      directoryActions.pageRequested({ page: 1 }),
      directoryActions.pageLoaded({ page: 1, response: page([alice, bob], { count: 3, next: NEXT }), at: 1 }),
      directoryActions.pageRequested({ page: 2 }),
      directoryActions.pageLoaded({ page: 2, response: page([carol], { count: 3, previous: 'http://x/api/users/' }), at: 2 }),
    );
    expect(s.pageSize).toBe(2);
    expect(s.current).toMatchObject({ page: 2, hasNext: false, hasPrevious: true, users: [carol] });
  });

  it('keeps the page shown while another loads; drops answers for a page no longer asked for', () => {
    const s1 = run(
      initialDirectoryState,
      directoryActions.pageRequested({ page: 1 }),
      directoryActions.pageLoaded({ page: 1, response: page([alice], { next: NEXT }), at: 1 }),
      directoryActions.pageRequested({ page: 2 }),
    );
    expect(s1.current?.page).toBe(1);
    expect(s1.loading).toBe(true);
    expect(reduce(s1, directoryActions.pageLoaded({ page: 1, response: page([bob]), at: 2 }))).toBe(s1);
    expect(reduce(s1, directoryActions.pageFailed({ page: 3, error: { status: 500, message: 'x' } }))).toBe(s1);
  });

  it('Page Failed keeps what was shown and the error until the next request', () => {
    const err = { status: 404, message: 'There is no such page (any more).' };
    const s1 = run(
      initialDirectoryState,
      directoryActions.pageRequested({ page: 1 }),
      directoryActions.pageLoaded({ page: 1, response: page([alice]), at: 1 }),
      directoryActions.pageRequested({ page: 7 }),
      directoryActions.pageFailed({ page: 7, error: err }),
    );
    expect(s1).toMatchObject({ requested: 7, loading: false, error: err });
    expect(s1.current?.page).toBe(1);
    expect(reduce(s1, directoryActions.pageRequested({ page: 1 })).error).toBeNull();
  });

  it('drops entries without an id or a name; a negative count is read as 0', () => {
    const s = run(
      initialDirectoryState,
      directoryActions.pageRequested({ page: 1 }),
      directoryActions.pageLoaded({ page: 1, response: page([alice, null, { id: 'x', username: 'y' }, { id: 9 }], { count: -1 }), at: 1 }),
    );
    expect(s.current?.users).toEqual([alice]);
    expect(s.current?.count).toBe(0);
  });

  it('seen: who was in the online list (null), and when they were seen leaving it', () => {
    const upd = (version: number, previousVersion: number | null, joined: any[], left: number[], at: number, users?: any[]) =>
      onlineActions.updateReceived({ update: { version, count: 0, joined, left, ...(users ? { users } : {}) }, previousVersion, at });
    const s1 = run(initialDirectoryState, upd(1, null, [], [], 10, [alice, bob]));
    expect(s1.seen).toEqual({ 1: null, 2: null });
    const s2 = run(s1, upd(2, 1, [carol], [2], 20));
    expect(s2.seen).toEqual({ 1: null, 2: 20, 3: null });
    // An older or repeated delta is ignored, as the online reducer ignores it.
    expect(reduce(s2, upd(2, 2, [], [1], 30))).toBe(s2);
    // A full list marks those in it; those absent keep what is known of them.
    const s3 = run(s2, upd(7, 2, [], [], 40, [bob]));
    expect(s3.seen).toEqual({ 1: null, 2: null, 3: null });
    expect(reduce(s3, upd(8, 7, [bob], [], 50))).toBe(s3);
    const s4 = reduce(
      s3,
      onlineActions.snapshotLoaded({ snapshot: { version: 9, count: 1, users: [{ id: 5, username: 'e' }] }, basis: 8, at: 60 }),
    );
    expect(s4.seen[5]).toBeNull();
  });

  it('the session changing forgets everything', () => {
    const s = run(
      initialDirectoryState,
      directoryActions.pageRequested({ page: 2 }),
      directoryActions.pageLoaded({ page: 2, response: page([alice]), at: 1 }),
    );
    for (const a of [
      sessionActions.logoutRequested(),
      sessionActions.unauthorized(),
      sessionActions.loggedOutRemotely({ reason: 'logout' }),
      sessionActions.loginSucceeded({ user: bob, token: 't' }),
      sessionActions.registerSucceeded({ user: bob, token: 't' }),
    ]) {
      expect(reduce(s, a)).toEqual(initialDirectoryState);
    }
  });

  it('isUsersPage accepts DRF pages only', () => {
    expect(isUsersPage(page([alice], { next: NEXT }))).toBe(true);
    expect(isUsersPage({ count: 0, next: null, previous: null, results: [] })).toBe(true);
    for (const bad of [
      null,
      [],
      'x',
      { results: [] },
      { count: 1, next: 2, previous: null, results: [] },
      { count: 1, next: null, previous: null },
    ]) {
      expect(isUsersPage(bad)).toBe(false);
    }
  });
});
