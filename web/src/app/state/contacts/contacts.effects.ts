import { DOCUMENT } from '@angular/common';
import { inject } from '@angular/core';
import { Actions, createEffect, ofType } from '@ngrx/effects';
import { Store } from '@ngrx/store';
import { EMPTY, filter, fromEvent, map, mergeMap, of, tap, withLatestFrom } from 'rxjs';
import { toPresenceError } from '../../core/ack-errors';
import { ContactsStorage, contactsKey } from '../../core/contacts-storage';
import { WatchStates } from '../../core/models';
import { PresenceSocket } from '../../core/presence-socket';
import { connectionActions } from '../connection/connection.actions';
import { sessionActions } from '../session/session.actions';
import { selectSessionStatus } from '../session/session.selectors';
import { contactsActions } from './contacts.actions';
import { selectContactsState } from './contacts.selectors';

/**
 * Once signed in (or restored): the user's list from this browser's storage. (An action of its own, so
 * the watch it starts goes out after the `ng-action login` that the same login sends.)
 */
export const loadOnAuth$ = createEffect(
  (actions$ = inject(Actions), storage = inject(ContactsStorage)) =>
    actions$.pipe(
      ofType(sessionActions.loginSucceeded, sessionActions.registerSucceeded, sessionActions.restoreSucceeded),
      map(({ user }) => contactsActions.loaded({ owner: user.id, contacts: storage.load(user.id) })),
    ),
  { functional: true },
);

/** Every change of the list is written to storage at once. */
export const persist$ = createEffect(
  (actions$ = inject(Actions), store = inject(Store), storage = inject(ContactsStorage)) =>
    actions$.pipe(
      ofType(contactsActions.addRequested, contactsActions.removeRequested),
      withLatestFrom(store.select(selectContactsState)),
      tap(([, s]) => {
        if (s.owner !== null)
          storage.save(
            s.owner,
            s.ids.map((id) => s.byId[id]),
          );
      }),
    ),
  { functional: true, dispatch: false },
);

/**
 * Another tab of this browser (same user) added or removed a contact: take its list, so that this tab
 * neither shows a stale one nor writes it over the other's change. (`storage` fires only in the other
 * tabs; a `null` key is a clear of the whole storage.)
 */
export const syncFromOtherTabs$ = createEffect(
  (doc = inject(DOCUMENT), store = inject(Store), storage = inject(ContactsStorage)) => {
    const win = doc.defaultView;
    if (!win) return EMPTY;
    return fromEvent<StorageEvent>(win, 'storage').pipe(
      withLatestFrom(store.select(selectContactsState)),
      filter(([e, s]) => s.owner !== null && (e.key === null || e.key === contactsKey(s.owner))),
      map(([, s]) => {
        const contacts = storage.load(s.owner!);
        const now = new Set(contacts.map((c) => c.id));
        const added = contacts.filter((c) => !s.byId[c.id]).map((c) => c.id);
        const removed = s.ids.filter((id) => !now.has(id));
        return contactsActions.syncedFromStorage({ contacts, added, removed });
      }),
      filter(({ added, removed }) => added.length > 0 || removed.length > 0),
    );
  },
  { functional: true },
);

/**
 * `presence:watch`: the whole list when it is loaded or after a reconnect, one user when added. Not
 * connected: nothing is sent; the next CONNECT watches the list again.
 */
export const watch$ = createEffect(
  (actions$ = inject(Actions), store = inject(Store), socket = inject(PresenceSocket)) =>
    actions$.pipe(
      ofType(contactsActions.loaded, contactsActions.resyncRequested, contactsActions.addRequested, contactsActions.syncedFromStorage),
      withLatestFrom(store.select(selectContactsState)),
      map(([action, s]) => {
        if (action.type === contactsActions.addRequested.type) return [action.contact.id].filter((id) => !!s.byId[id]);
        if (action.type === contactsActions.syncedFromStorage.type) return action.added.filter((id) => !!s.byId[id]);
        return s.ids;
      }),
      filter((ids) => ids.length > 0),
      mergeMap((ids) =>
        socket.requestBound<WatchStates>('presence:watch', { users: ids }).pipe(
          filter((ack) => ack.ok || ack.code !== 'offline'),
          map((ack) =>
            ack.ok
              ? contactsActions.watchAnswered({ users: Array.isArray(ack.users) ? ack.users : [] })
              : contactsActions.watchFailed({ error: toPresenceError(ack) }),
          ),
        ),
      ),
    ),
  { functional: true },
);

/** `presence:unwatch` for removed contacts. Not connected: the next socket does not watch them anyway. */
export const unwatch$ = createEffect(
  (actions$ = inject(Actions), socket = inject(PresenceSocket)) =>
    actions$.pipe(
      ofType(contactsActions.removeRequested, contactsActions.syncedFromStorage),
      map((action) => (action.type === contactsActions.removeRequested.type ? [action.id] : action.removed)),
      filter((ids) => ids.length > 0),
      mergeMap((ids) =>
        socket.request('presence:unwatch', { users: ids }).pipe(
          filter((ack) => !ack.ok && ack.code !== 'offline'),
          map((ack) => contactsActions.unwatchFailed({ error: toPresenceError(ack.ok ? { code: 'unknown' } : ack) })),
        ),
      ),
    ),
  { functional: true },
);

/** `presence:watch_update` → store, while signed in. */
export const watchUpdates$ = createEffect(
  (socket = inject(PresenceSocket), store = inject(Store)) =>
    socket.watchUpdate$.pipe(
      withLatestFrom(store.select(selectSessionStatus)),
      filter(([u, status]) => status === 'authenticated' && Array.isArray(u.users)),
      map(([u]) => contactsActions.watchUpdateReceived({ users: u.users })),
    ),
  { functional: true },
);

/** After each CONNECT while signed in, unless the session was recovered with its watch set. */
export const resyncOnConnect$ = createEffect(
  (actions$ = inject(Actions), store = inject(Store), socket = inject(PresenceSocket)) =>
    actions$.pipe(
      ofType(connectionActions.statusChanged),
      // The Manager's `reconnect` reports connected before the namespace CONNECT (no socket id yet).
      filter(({ status, socketId }) => status === 'connected' && socketId !== null),
      withLatestFrom(store.select(selectSessionStatus), store.select(selectContactsState)),
      mergeMap(([, session, s]) =>
        session === 'authenticated' && s.ids.length > 0 && !socket.recovered ? of(contactsActions.resyncRequested()) : EMPTY,
      ),
    ),
  { functional: true },
);
