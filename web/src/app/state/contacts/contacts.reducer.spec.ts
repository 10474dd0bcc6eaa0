import { MAX_WATCHED } from '../../core/models';
import { bob } from '../../../testing/fixtures';
import { sessionActions } from '../session/session.actions';
import { contactsActions } from './contacts.actions';
import { ContactsState, contactsFeature, initialContactsState } from './contacts.reducer';
import { selectContactViews, selectContactsFull } from './contacts.selectors';

const reduce = contactsFeature.reducer;
const run = (s: ContactsState, ...a: Parameters<typeof reduce>[1][]) => a.reduce(reduce, s);
const views = (s: ContactsState) => selectContactViews.projector(s);
const ME = 1;
const loaded = () =>
  reduce(
    initialContactsState,
    contactsActions.loaded({
      owner: ME,
      contacts: [
        { id: 2, username: 'bob' },
        { id: 3, username: 'Carol' },
      ],
    }),
  );

describe('contacts reducer', () => {
  it('Loaded holds the stored list (each id once) and no state yet', () => {
    const s = reduce(
      initialContactsState,
      contactsActions.loaded({
        owner: ME,
        contacts: [
          { id: 2, username: 'bob' },
          { id: 2, username: 'dup' },
          { id: 3, username: 'Carol' },
        ],
      }),
    );
    expect(s).toMatchObject({ owner: ME, ids: [2, 3], presence: {} });
    expect(views(s).map((v) => [v.username, v.tone])).toEqual([
      ['bob', 'unknown'],
      ['Carol', 'unknown'],
    ]);
  });

  it('Add and Remove; not oneself, not twice, not before the list is loaded', () => {
    const s1 = reduce(loaded(), contactsActions.addRequested({ contact: { id: 4, username: 'dave' } }));
    expect(s1.ids).toEqual([2, 3, 4]);
    expect(reduce(s1, contactsActions.addRequested({ contact: { id: 4, username: 'dave' } }))).toBe(s1);
    expect(reduce(s1, contactsActions.addRequested({ contact: { id: ME, username: 'me' } }))).toBe(s1);
    expect(reduce(initialContactsState, contactsActions.addRequested({ contact: { id: 4, username: 'dave' } }))).toBe(initialContactsState);
    const s2 = run(s1, contactsActions.watchAnswered({ users: [{ id: 2, online: true }] }), contactsActions.removeRequested({ id: 2 }));
    expect(s2.ids).toEqual([3, 4]);
    expect(s2.presence[2]).toBeUndefined();
    expect(reduce(s2, contactsActions.removeRequested({ id: 2 }))).toBe(s2);
  });

  it('a full list refuses one more, with the too_many_watched message', () => {
    const many = Array.from({ length: MAX_WATCHED }, (_, i) => ({ id: 100 + i, username: `u${i}` }));
    const s = reduce(initialContactsState, contactsActions.loaded({ owner: ME, contacts: many }));
    expect(selectContactsFull.projector(s.ids)).toBe(true);
    const s2 = reduce(s, contactsActions.addRequested({ contact: { id: 5, username: 'x' } }));
    expect(s2.ids.length).toBe(MAX_WATCHED);
    expect(s2.error?.code).toBe('too_many_watched');
  });

  it('watch answers and updates set the dots; others are ignored', () => {
    const t = '2026-11-25T22:00:00Z';
    const s = run(
      loaded(),
      contactsActions.watchAnswered({
        users: [
          { id: 2, online: true, status: 'online', last_seen: null },
          { id: 3, online: false, status: 'offline', last_seen: t },
        ],
      }),
    );
    expect(views(s).map((v) => [v.id, v.tone, v.online, v.lastSeen])).toEqual([
      [2, 'online', true, null],
      [3, 'offline', false, t],
    ]);
    const s2 = reduce(
      s,
      contactsActions.watchUpdateReceived({
        users: [
          { id: 2, online: false, status: 'offline', last_seen: t },
          { id: 3, online: true, status: 'dnd' },
        ],
      }),
    );
    expect(views(s2).map((v) => [v.id, v.tone, v.lastSeen])).toEqual([
      [2, 'offline', t],
      [3, 'dnd', null],
    ]);
    expect(reduce(s2, contactsActions.watchUpdateReceived({ users: [{ id: 99, online: true }] }))).toBe(s2);
    expect(reduce(s2, contactsActions.watchUpdateReceived({ users: [{ id: 2 } as any] }))).toBe(s2);
  });

  it('errors are kept until dismissed; the session changing forgets everything', () => {
    const s = reduce(loaded(), contactsActions.watchFailed({ error: { code: 'rate_limited', message: 'Slow down.' } }));
    expect(s.error).toEqual({ code: 'rate_limited', message: 'The dots are not live: Slow down.' });
    expect(reduce(s, contactsActions.unwatchFailed({ error: { code: 'bad_request', message: 'x' } })).error?.message).toMatch(
      /^The server may still/,
    );
    expect(reduce(s, contactsActions.errorDismissed()).error).toBeNull();
    for (const a of [
      sessionActions.logoutRequested(),
      sessionActions.unauthorized(),
      sessionActions.loginSucceeded({ user: bob, token: 't' }),
    ]) {
      expect(reduce(s, a)).toEqual(initialContactsState);
    }
  });

  it('Synced From Storage takes the other tab’s list, keeping the dots of those still in it', () => {
    const s = run(loaded(), contactsActions.watchAnswered({ users: [{ id: 3, online: true }, { id: 2, online: false }] }));
    const next = reduce(
      s,
      contactsActions.syncedFromStorage({
        contacts: [{ id: 3, username: 'Carol' }, { id: 4, username: 'dave' }, { id: ME, username: 'me' }],
        added: [4],
        removed: [2],
      }),
    );
    expect(next.ids).toEqual([3, 4]);
    expect(next.presence).toEqual({ 3: { online: true, status: null, lastSeen: null } });
    expect(reduce(initialContactsState, contactsActions.syncedFromStorage({ contacts: [], added: [], removed: [] }))).toBe(initialContactsState);
  });
});
