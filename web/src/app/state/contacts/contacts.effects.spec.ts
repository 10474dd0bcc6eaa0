import { Observable, firstValueFrom, of, toArray } from 'rxjs';
import { Ack } from '../../core/models';
import { alice } from '../../../testing/fixtures';
import { connectionActions } from '../connection/connection.actions';
import { sessionActions } from '../session/session.actions';
import { contactsActions } from './contacts.actions';
import * as fx from './contacts.effects';
import { ContactsState, contactsFeature, initialContactsState } from './contacts.reducer';

const collect = (o: Observable<unknown>) => firstValueFrom(o.pipe(toArray()));
const storeOf = (contacts: ContactsState, session = 'authenticated') => ({
  select: (selector: (s: unknown) => unknown) => of(selector({ contacts, session: { status: session } })),
});
function socket(answers: Record<string, Ack<any>> = {}, recovered = false) {
  const sent: Array<[string, unknown]> = [];
  const request = vi.fn((event: string, payload: unknown) => {
    sent.push([event, payload]);
    return of(answers[event] ?? { ok: false, code: 'offline' });
  });
  return { sent, recovered, request, requestBound: request };
}
const storage = (lists: Record<number, any[]> = {}) => ({ load: vi.fn((o: number) => lists[o] ?? []), save: vi.fn() });
const bobContact = { id: 2, username: 'bob' };
const withBob = contactsFeature.reducer(initialContactsState, contactsActions.loaded({ owner: 1, contacts: [bobContact] }));

describe('contacts effects', () => {
  it('loads the signed-in user’s list from storage after login, register and restore', async () => {
    const st = storage({ 1: [bobContact] });
    const out = await collect(
      fx.loadOnAuth$(
        of(sessionActions.loginSucceeded({ user: alice, token: 't' }), sessionActions.restoreSucceeded({ user: alice })) as any,
        st as any,
      ),
    );
    expect(st.load).toHaveBeenCalledWith(1);
    expect(out).toEqual(Array(2).fill(contactsActions.loaded({ owner: 1, contacts: [bobContact] })));
  });

  it('writes the list after each add and remove', async () => {
    const st = storage();
    await collect(fx.persist$(of(contactsActions.addRequested({ contact: bobContact })) as any, storeOf(withBob) as any, st as any));
    expect(st.save).toHaveBeenCalledWith(1, [bobContact]);
  });

  it('watch: the whole list when loaded or resynced, one user when added; the ack → states', async () => {
    const states = [{ id: 2, online: true, status: 'online', last_seen: null }];
    const s = socket({ 'presence:watch': { ok: true, users: states } });
    const out = await collect(
      fx.watch$(
        of(contactsActions.loaded({ owner: 1, contacts: [bobContact] }), contactsActions.resyncRequested()) as any,
        storeOf(withBob) as any,
        s as any,
      ),
    );
    expect(s.sent).toEqual([
      ['presence:watch', { users: [2] }],
      ['presence:watch', { users: [2] }],
    ]);
    expect(out).toEqual(Array(2).fill(contactsActions.watchAnswered({ users: states as any })));

    const added = contactsFeature.reducer(withBob, contactsActions.addRequested({ contact: { id: 3, username: 'Carol' } }));
    const one = socket({ 'presence:watch': { ok: true, users: [] } });
    await collect(
      fx.watch$(of(contactsActions.addRequested({ contact: { id: 3, username: 'Carol' } })) as any, storeOf(added) as any, one as any),
    );
    expect(one.sent).toEqual([['presence:watch', { users: [3] }]]);
  });

  it('watch: nothing for an empty list; a refusal → Watch Failed; offline → nothing', async () => {
    const s = socket({ 'presence:watch': { ok: true, users: [] } });
    await collect(fx.watch$(of(contactsActions.loaded({ owner: 1, contacts: [] })) as any, storeOf(initialContactsState) as any, s as any));
    expect(s.sent).toEqual([]);
    const refused = socket({ 'presence:watch': { ok: false, code: 'too_many_watched', message: 'max 1000' } });
    const [a] = (await collect(fx.watch$(of(contactsActions.resyncRequested()) as any, storeOf(withBob) as any, refused as any))) as any[];
    expect(a).toMatchObject({ type: contactsActions.watchFailed.type, error: { code: 'too_many_watched' } });
    expect(await collect(fx.watch$(of(contactsActions.resyncRequested()) as any, storeOf(withBob) as any, socket() as any))).toEqual([]);
  });

  it('unwatch on remove; only a refusal is reported', async () => {
    const s = socket({ 'presence:unwatch': { ok: true } });
    expect(await collect(fx.unwatch$(of(contactsActions.removeRequested({ id: 2 })) as any, s as any))).toEqual([]);
    expect(s.sent).toEqual([['presence:unwatch', { users: [2] }]]);
    const refused = socket({ 'presence:unwatch': { ok: false, code: 'rate_limited' } });
    const [a] = (await collect(fx.unwatch$(of(contactsActions.removeRequested({ id: 2 })) as any, refused as any))) as any[];
    expect(a.type).toBe(contactsActions.unwatchFailed.type);
  });

  it('presence:watch_update reaches the store only while signed in', async () => {
    const users = [{ id: 2, online: false }];
    const s = { watchUpdate$: of({ users }) };
    expect(await collect(fx.watchUpdates$(s as any, storeOf(withBob) as any))).toEqual([contactsActions.watchUpdateReceived({ users })]);
    expect(await collect(fx.watchUpdates$(s as any, storeOf(withBob, 'restoring') as any))).toEqual([]);
  });

  it('after a CONNECT: the list is watched again, unless the session was recovered', async () => {
    const connected = connectionActions.statusChanged({ status: 'connected', socketId: 's2', attempt: 0, reason: null });
    expect(await collect(fx.resyncOnConnect$(of(connected) as any, storeOf(withBob) as any, socket() as any))).toEqual([
      contactsActions.resyncRequested(),
    ]);
    expect(await collect(fx.resyncOnConnect$(of(connected) as any, storeOf(withBob) as any, socket({}, true) as any))).toEqual([]);
    expect(await collect(fx.resyncOnConnect$(of(connected) as any, storeOf(initialContactsState) as any, socket() as any))).toEqual([]);
    expect(await collect(fx.resyncOnConnect$(of(connected) as any, storeOf(withBob, 'anonymous') as any, socket() as any))).toEqual([]);
  });

  it('another tab’s change of the stored list → Synced From Storage with what was added and removed', () => {
    const st = storage({ 1: [{ id: 3, username: 'Carol' }] });
    const out: unknown[] = [];
    const sub = fx.syncFromOtherTabs$(document as any, storeOf(withBob) as any, st as any).subscribe((a) => out.push(a));
    window.dispatchEvent(new StorageEvent('storage', { key: 'presenced.token', newValue: 'x' }));
    window.dispatchEvent(new StorageEvent('storage', { key: 'presenced.contacts.9', newValue: '[]' }));
    expect(out).toEqual([]);
    window.dispatchEvent(new StorageEvent('storage', { key: 'presenced.contacts.1', newValue: '[]' }));
    sub.unsubscribe();
    expect(out).toEqual([contactsActions.syncedFromStorage({ contacts: [{ id: 3, username: 'Carol' }], added: [3], removed: [2] })]);
  });

  it('a sync watches the added and unwatches the removed', async () => {
    const synced = contactsActions.syncedFromStorage({ contacts: [{ id: 3, username: 'Carol' }], added: [3], removed: [2] });
    const after = contactsFeature.reducer(withBob, synced);
    const s = socket({ 'presence:watch': { ok: true, users: [] }, 'presence:unwatch': { ok: true } });
    await collect(fx.watch$(of(synced) as any, storeOf(after) as any, s as any));
    await collect(fx.unwatch$(of(synced) as any, s as any));
    expect(s.sent).toEqual([
      ['presence:watch', { users: [3] }],
      ['presence:unwatch', { users: [2] }],
    ]);
  });
});
