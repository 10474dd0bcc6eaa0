import { createFeatureSelector, createSelector } from '@ngrx/store';
import { User } from '../../core/models';
import { PresenceTone, userTone } from '../../shared/people';
import { ContactPresence } from '../contacts/contacts.reducer';
import { selectContactsState } from '../contacts/contacts.selectors';
import { selectOnlineLoaded, selectOnlineUsersById } from '../online/online.selectors';
import { selectCurrentUserId } from '../session/session.selectors';
import { DirectoryError } from './directory.actions';
import { DEFAULT_PAGE_SIZE, DirectoryState } from './directory.reducer';

/** One person of the directory as the People page shows them. */
export interface DirectoryEntry {
  id: number;
  username: string;
  isMe: boolean;
  isContact: boolean;
  /** The dot: live (contacts watch, then the online list); the page's own answer only when neither is known. */
  tone: PresenceTone;
  /** RFC 3339 when offline and the time is known to be the last time seen. */
  lastSeen: string | null;
}

/** The pager and the header of the People page. */
export interface DirectoryPageView {
  /** The page asked for (1 before anything was asked). */
  page: number;
  /** The page shown (null: none loaded yet). */
  shown: number | null;
  pages: number | null;
  count: number | null;
  /** 1-based positions of the first and last person shown ("51–100 of 123"); null when the page is empty. */
  from: number | null;
  to: number | null;
  hasNext: boolean;
  hasPrevious: boolean;
  loading: boolean;
  error: DirectoryError | null;
}

export const selectDirectoryState = createFeatureSelector<DirectoryState>('directory');
export const selectDirectoryCurrent = createSelector(selectDirectoryState, (s) => s.current);
export const selectDirectorySeen = createSelector(selectDirectoryState, (s) => s.seen);

export const selectDirectoryPageView = createSelector(selectDirectoryState, (s): DirectoryPageView => {
  const c = s.current;
  const size = s.pageSize ?? DEFAULT_PAGE_SIZE;
  const first = c ? (c.page - 1) * size + 1 : null;
  return {
    page: s.requested ?? 1,
    shown: c?.page ?? null,
    pages: c ? Math.max(1, Math.ceil(c.count / size), c.hasNext ? c.page + 1 : c.page) : null,
    count: c?.count ?? null,
    from: c && c.users.length ? first : null,
    to: c && c.users.length ? first! + c.users.length - 1 : null,
    // While another page loads, the pager acts on the page asked for, not on the one still shown.
    hasNext: !!c && c.page === s.requested && c.hasNext,
    hasPrevious: (s.requested ?? 1) > 1,
    loading: s.loading,
    error: s.error,
  };
});

/**
 * A person's dot. A contact's watch answer is the most precise (per user, with `last_seen`); else the
 * live online list, once it is loaded. Absent from it: offline, last seen when this SPA saw them leave
 * (`seen`: a number); not known when they were in the list in this session but the leave was not seen
 * (`seen`: null), nor when the page said online (they left after it was loaded); else the page's
 * `last_seen`. With no live source (not loaded yet, or a server sending no list): what the page said.
 */
export function directoryPresence(
  user: User,
  contact: ContactPresence | undefined,
  online: User | undefined,
  onlineLoaded: boolean,
  seen: number | null | undefined,
): Pick<DirectoryEntry, 'tone' | 'lastSeen'> {
  if (contact) {
    if (!contact.online) return { tone: 'offline', lastSeen: contact.lastSeen };
    return { tone: contact.status === 'away' || contact.status === 'dnd' ? contact.status : 'online', lastSeen: null };
  }
  if (onlineLoaded) {
    if (online) return { tone: userTone(online), lastSeen: null };
    if (seen !== undefined) return { tone: 'offline', lastSeen: seen === null ? null : new Date(seen).toISOString() };
    return { tone: 'offline', lastSeen: user.is_online === false ? (user.last_seen ?? null) : null };
  }
  const tone = userTone(user);
  return { tone, lastSeen: tone === 'offline' ? (user.last_seen ?? null) : null };
}

/** The people of the page shown, in the server's order (by account), each with a live dot. */
export const selectDirectoryEntries = createSelector(
  selectDirectoryCurrent,
  selectDirectorySeen,
  selectOnlineUsersById,
  selectOnlineLoaded,
  selectContactsState,
  selectCurrentUserId,
  (current, seen, online, onlineLoaded, contacts, me): DirectoryEntry[] =>
    (current?.users ?? []).map((user) => {
      const isMe = user.id === me;
      const presence = isMe
        ? { tone: online[user.id] ? userTone(online[user.id]) : ('online' as PresenceTone), lastSeen: null }
        : directoryPresence(user, contacts.presence[user.id], online[user.id], onlineLoaded, seen[user.id]);
      return { id: user.id, username: user.username, isMe, isContact: !!contacts.byId[user.id], ...presence };
    }),
);
