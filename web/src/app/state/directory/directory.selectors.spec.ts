import { Action, ActionReducerMap, combineReducers } from '@ngrx/store';
import { alice, bob, carol, dave } from '../../../testing/fixtures';
import { User } from '../../core/models';
import { contactsActions } from '../contacts/contacts.actions';
import { contactsFeature } from '../contacts/contacts.reducer';
import { onlineActions } from '../online/online.actions';
import { onlineFeature } from '../online/online.reducer';
import { sessionActions } from '../session/session.actions';
import { sessionFeature } from '../session/session.reducer';
import { directoryActions } from './directory.actions';
import { directoryFeature } from './directory.reducer';
import { directoryPresence, selectDirectoryEntries, selectDirectoryPageView } from './directory.selectors';

const reducers: ActionReducerMap<any> = {
  session: sessionFeature.reducer,
  online: onlineFeature.reducer,
  contacts: contactsFeature.reducer,
  directory: directoryFeature.reducer,
};
const root = combineReducers(reducers);
const run = (actions: Action[], start?: any) => actions.reduce((s, a) => root(s, a), start ?? root(undefined, { type: '@@init' }));
const T = '2026-11-25T22:00:00Z';
const carolOff: User = { ...carol, is_online: false, last_seen: T };
const daveOff: User = { ...dave, is_online: false, last_seen: null };
const NEXT = 'http://x/api/users/?page=2';

/** Signed in as alice; the directory page holds alice, bob, Carol (offline) and dave (offline). */
function signedIn(onlineUsers: User[] | null) {
  return run([
    sessionActions.loginSucceeded({ user: alice, token: 't' }),
    contactsActions.loaded({ owner: 1, contacts: [] }),
    ...(onlineUsers
      ? [onlineActions.snapshotLoaded({ snapshot: { version: 1, count: onlineUsers.length, users: onlineUsers }, basis: null, at: 1 })]
      : []),
    directoryActions.pageRequested({ page: 1 }),
    directoryActions.pageLoaded({
      page: 1,
      response: { count: 4, next: null, previous: null, results: [alice, bob, carolOff, daveOff] },
      at: 1,
    }),
  ]);
}
const dots = (s: unknown) => selectDirectoryEntries(s as any).map((e) => [e.username, e.tone, e.lastSeen, e.isMe, e.isContact]);

describe('directory selectors', () => {
  beforeEach(() => {
    selectDirectoryEntries.release();
    selectDirectoryPageView.release();
  });

  it('dots from the live online list: in it → its status, not in it → offline; oneself marked', () => {
    const s = signedIn([alice, { ...bob, status: 'dnd' }]);
    expect(dots(s)).toEqual([
      ['alice', 'online', null, true, false],
      ['bob', 'dnd', null, false, false],
      ['Carol', 'offline', T, false, false],
      ['dave', 'offline', null, false, false],
    ]);
  });

  it('the page’s last_seen is not shown for someone the page said online and the list says gone', () => {
    const s = signedIn([alice]);
    expect(dots(s)[1]).toEqual(['bob', 'offline', null, false, false]);
  });

  it('someone seen leaving the online list: last seen then, not the older time the page had', () => {
    const at = Date.parse('2026-11-26T09:30:00Z');
    const s = run(
      [
        onlineActions.updateReceived({ update: { version: 2, count: 2, joined: [carol], left: [] }, previousVersion: 1, at: at - 60_000 }),
        onlineActions.updateReceived({ update: { version: 3, count: 1, joined: [], left: [3, 2] }, previousVersion: 2, at }),
      ],
      signedIn([alice, bob]),
    );
    expect(dots(s).slice(1, 3)).toEqual([
      ['bob', 'offline', '2026-11-26T09:30:00.000Z', false, false],
      ['Carol', 'offline', '2026-11-26T09:30:00.000Z', false, false],
    ]);
    // Back, then gone again during a disconnect (a full list without her): offline, time unknown.
    const s2 = run(
      [
        onlineActions.updateReceived({ update: { version: 4, count: 2, joined: [carol], left: [] }, previousVersion: 3, at: at + 1 }),
        onlineActions.updateReceived({ update: { version: 9, count: 1, users: [alice] }, previousVersion: 4, at: at + 2 }),
      ],
      s,
    );
    expect(dots(s2)[2]).toEqual(['Carol', 'offline', null, false, false]);
  });

  it('a contact’s dot follows its watch answer and updates, before the online list', () => {
    const s = run(
      [
        contactsActions.addRequested({ contact: { id: 3, username: 'Carol' } }),
        contactsActions.addRequested({ contact: { id: 2, username: 'bob' } }),
      ],
      signedIn([alice, bob]),
    );
    // No answer yet: the online list's word.
    expect(dots(s).slice(1, 3)).toEqual([
      ['bob', 'online', null, false, true],
      ['Carol', 'offline', T, false, true],
    ]);
    const t2 = '2026-11-26T08:00:00Z';
    const s2 = run(
      [
        contactsActions.watchAnswered({
          users: [
            { id: 3, online: true, status: 'away' },
            { id: 2, online: false, last_seen: t2 },
          ],
        }),
      ],
      s,
    );
    expect(dots(s2).slice(1, 3)).toEqual([
      ['bob', 'offline', t2, false, true],
      ['Carol', 'away', null, false, true],
    ]);
  });

  it('no online list (not loaded yet, or a server that sends none): what the page said', () => {
    const s = signedIn(null);
    expect(dots(s)).toEqual([
      ['alice', 'online', null, true, false],
      ['bob', 'online', null, false, false],
      ['Carol', 'offline', T, false, false],
      ['dave', 'offline', null, false, false],
    ]);
    expect(directoryPresence({ id: 5, username: 'e', status: 'away', is_online: true }, undefined, undefined, false, undefined)).toEqual({
      tone: 'away',
      lastSeen: null,
    });
  });

  it('stays memoized when unrelated state changes; a contact added changes the rows', () => {
    const s = signedIn([alice]);
    const a = selectDirectoryEntries(s);
    const b = selectDirectoryEntries(run([sessionActions.errorsCleared()], s));
    expect(b).toBe(a);
    const c = selectDirectoryEntries(run([contactsActions.addRequested({ contact: { id: 2, username: 'bob' } })], s));
    expect(c).not.toBe(a);
    expect(c[1].isContact).toBe(true);
  });

  it('the page view: numbers, range and pager', () => {
    const view = (actions: Action[]) => selectDirectoryPageView(run(actions));
    expect(view([])).toMatchObject({ page: 1, shown: null, pages: null, count: null, hasNext: false, hasPrevious: false });
    const fifty = Array.from({ length: 50 }, (_, i) => ({ id: 100 + i, username: `u${i}` }));
    const first = [
      directoryActions.pageRequested({ page: 1 }),
      directoryActions.pageLoaded({ page: 1, response: { count: 123, next: NEXT, previous: null, results: fifty }, at: 1 }),
    ];
    expect(view(first)).toMatchObject({ page: 1, shown: 1, pages: 3, count: 123, from: 1, to: 50, hasNext: true, hasPrevious: false });
    // While page 2 loads: the pager acts on page 2 (no double Next), Previous goes back to 1.
    expect(view([...first, directoryActions.pageRequested({ page: 2 })])).toMatchObject({
      page: 2,
      shown: 1,
      hasNext: false,
      hasPrevious: true,
      loading: true,
    });
    const last = [
      ...first,
      directoryActions.pageRequested({ page: 3 }),
      directoryActions.pageLoaded({ page: 3, response: { count: 123, next: null, previous: NEXT, results: fifty.slice(0, 23) }, at: 2 }),
    ];
    expect(view(last)).toMatchObject({ page: 3, pages: 3, from: 101, to: 123, hasNext: false, hasPrevious: true });
    // Page size unknown (only a last page seen): 50, and never fewer pages than the page shown.
    expect(
      view([
        directoryActions.pageRequested({ page: 4 }),
        directoryActions.pageLoaded({ page: 4, response: { count: 10, next: null, previous: NEXT, results: [] }, at: 1 }),
      ]),
    ).toMatchObject({ pages: 4, from: null, to: null });
  });
});
