import { createFeatureSelector, createSelector } from '@ngrx/store';
import { MAX_WATCHED } from '../../core/models';
import { ContactsState } from './contacts.reducer';

/** What a contact's dot says. `unknown`: no answer yet (not connected, or the watch is on its way). */
export type ContactTone = 'online' | 'away' | 'dnd' | 'offline' | 'unknown';

export interface ContactView {
  id: number;
  username: string;
  tone: ContactTone;
  /** null while unknown. */
  online: boolean | null;
  /** RFC 3339 when offline and the server said when it last saw them. */
  lastSeen: string | null;
}

export const selectContactsState = createFeatureSelector<ContactsState>('contacts');
export const selectContactIds = createSelector(selectContactsState, (s) => s.ids);
export const selectContactIdSet = createSelector(selectContactIds, (ids) => new Set(ids));
export const selectContactsFull = createSelector(selectContactIds, (ids) => ids.length >= MAX_WATCHED);
export const selectContactsError = createSelector(selectContactsState, (s) => s.error);
export const selectContactsLoaded = createSelector(selectContactsState, (s) => s.owner !== null);

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/** The contacts by name (a dot changing does not move anyone). */
export const selectContactViews = createSelector(selectContactsState, (s): ContactView[] =>
  s.ids
    .map((id) => {
      const c = s.byId[id];
      const p = s.presence[id];
      let tone: ContactTone = 'unknown';
      if (p) tone = !p.online ? 'offline' : p.status === 'away' || p.status === 'dnd' ? p.status : 'online';
      return { id, username: c.username, tone, online: p ? p.online : null, lastSeen: p && !p.online ? p.lastSeen : null };
    })
    .sort((a, b) => collator.compare(a.username, b.username) || a.id - b.id),
);
