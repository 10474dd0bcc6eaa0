import { createFeature, createReducer, on } from '@ngrx/store';
import { PresenceError, toPresenceError } from '../../core/ack-errors';
import { Contact } from '../../core/contacts-storage';
import { MAX_WATCHED, PresenceStatus, WatchedState } from '../../core/models';
import { sessionActions } from '../session/session.actions';
import { contactsActions } from './contacts.actions';

/** A watched user's state as last answered (`presence:watch` ack or `presence:watch_update`). */
export interface ContactPresence {
  online: boolean;
  status: PresenceStatus | null;
  /** RFC 3339, or null when not given. */
  lastSeen: string | null;
}

export interface ContactsState {
  /** Whose list this is (the signed-in user); null before the list is loaded. */
  owner: number | null;
  /** Contact ids in the order added (what is stored). */
  ids: number[];
  byId: Record<number, Contact>;
  /** Known states; a contact without one is shown as "checking". */
  presence: Record<number, ContactPresence>;
  error: PresenceError | null;
}

export const initialContactsState: ContactsState = { owner: null, ids: [], byId: {}, presence: {}, error: null };

function withStates(s: ContactsState, users: readonly WatchedState[] | undefined): ContactsState {
  if (!Array.isArray(users)) return s;
  let presence: Record<number, ContactPresence> | null = null;
  for (const u of users) {
    if (!u || typeof u.id !== 'number' || !s.byId[u.id] || typeof u.online !== 'boolean') continue;
    presence ??= { ...s.presence };
    presence[u.id] = { online: u.online, status: u.status ?? null, lastSeen: u.last_seen ?? null };
  }
  return presence ? { ...s, presence } : s;
}

export const contactsFeature = createFeature({
  name: 'contacts',
  reducer: createReducer(
    initialContactsState,
    on(contactsActions.loaded, (_, { owner, contacts }): ContactsState => {
      const byId: Record<number, Contact> = {};
      const ids: number[] = [];
      for (const c of contacts) {
        if (byId[c.id] || ids.length === MAX_WATCHED) continue;
        byId[c.id] = c;
        ids.push(c.id);
      }
      return { ...initialContactsState, owner, ids, byId };
    }),
    on(contactsActions.addRequested, (s, { contact }): ContactsState => {
      if (s.owner === null || contact.id === s.owner || s.byId[contact.id]) return s;
      if (s.ids.length >= MAX_WATCHED) return { ...s, error: toPresenceError({ code: 'too_many_watched' }) };
      return { ...s, ids: [...s.ids, contact.id], byId: { ...s.byId, [contact.id]: contact } };
    }),
    on(contactsActions.removeRequested, (s, { id }): ContactsState => {
      if (!s.byId[id]) return s;
      const byId = { ...s.byId };
      const presence = { ...s.presence };
      delete byId[id];
      delete presence[id];
      return { ...s, ids: s.ids.filter((x) => x !== id), byId, presence };
    }),
    on(contactsActions.syncedFromStorage, (s, { contacts }): ContactsState => {
      if (s.owner === null) return s;
      const ids: number[] = [];
      const byId: Record<number, Contact> = {};
      const presence: Record<number, ContactPresence> = {};
      for (const c of contacts) {
        if (byId[c.id] || c.id === s.owner || ids.length === MAX_WATCHED) continue;
        ids.push(c.id);
        byId[c.id] = c;
        if (s.presence[c.id]) presence[c.id] = s.presence[c.id];
      }
      return { ...s, ids, byId, presence };
    }),
    on(contactsActions.watchAnswered, contactsActions.watchUpdateReceived, (s, { users }): ContactsState => withStates(s, users)),
    on(contactsActions.watchFailed, (s, { error }): ContactsState => ({
      ...s,
      error: { ...error, message: `The dots are not live: ${error.message}` },
    })),
    on(contactsActions.unwatchFailed, (s, { error }): ContactsState => ({
      ...s,
      error: { ...error, message: `The server may still report a removed contact: ${error.message}` },
    })),
    on(contactsActions.errorDismissed, (s): ContactsState => (s.error ? { ...s, error: null } : s)),
    on(
      sessionActions.loginSucceeded,
      sessionActions.registerSucceeded,
      sessionActions.logoutRequested,
      sessionActions.unauthorized,
      sessionActions.loggedOutRemotely,
      (): ContactsState => initialContactsState,
    ),
  ),
});
