import { createFeature, createReducer, on } from '@ngrx/store';
import { User, UsersPage } from '../../core/models';
import { onlineActions } from '../online/online.actions';
import { sessionActions } from '../session/session.actions';
import { DirectoryError, directoryActions } from './directory.actions';

/** presenced's page size (50), assumed until a page that has a next one shows the real one. */
export const DEFAULT_PAGE_SIZE = 50;

/** One page of the user directory as last loaded. */
export interface DirectoryPage {
  page: number;
  /** Accounts in all (the server's `count`). */
  count: number;
  hasNext: boolean;
  hasPrevious: boolean;
  users: User[];
  /** When it was loaded (epoch ms). */
  at: number;
}

export interface DirectoryState {
  /** The page asked for last (shown, or on its way); null before the People page was opened. */
  requested: number | null;
  loading: boolean;
  /** The page last loaded; kept while another loads (the list does not blank out while paging). */
  current: DirectoryPage | null;
  /** The page size seen on a page that has a next one (the last page may be shorter); null until then. */
  pageSize: number | null;
  error: DirectoryError | null;
  /**
   * People seen in the live online list in this session, by id: when they were last seen leaving it
   * (epoch ms), or null while they are in it or the time is unknown. A page loaded before that carries
   * an older `last_seen`, which must not be shown for them.
   */
  seen: Record<number, number | null>;
}

export const initialDirectoryState: DirectoryState = {
  requested: null,
  loading: false,
  current: null,
  pageSize: null,
  error: null,
  seen: {},
};

function seenOnline(s: DirectoryState, users: readonly User[] | undefined): DirectoryState {
  let seen: Record<number, number | null> | null = null;
  for (const u of users ?? []) {
    if (!u || typeof u.id !== 'number' || s.seen[u.id] === null) continue;
    seen ??= { ...s.seen };
    seen[u.id] = null;
  }
  return seen ? { ...s, seen } : s;
}

/** A DRF page: a count, next/previous as strings or null, results as a list (unreadable entries are dropped later). */
export function isUsersPage(r: unknown): r is UsersPage {
  if (!r || typeof r !== 'object') return false;
  const p = r as Partial<UsersPage>;
  const link = (v: unknown) => v === null || typeof v === 'string';
  return typeof p.count === 'number' && link(p.next) && link(p.previous) && Array.isArray(p.results);
}

export const directoryFeature = createFeature({
  name: 'directory',
  reducer: createReducer(
    initialDirectoryState,
    on(directoryActions.pageRequested, (s, { page }): DirectoryState => ({ ...s, requested: page, loading: true, error: null })),
    on(directoryActions.pageLoaded, (s, { page, response, at }): DirectoryState => {
      // An answer for a page no longer asked for (the effect drops those, but the reducer does not rely on it).
      if (page !== s.requested) return s;
      const users = response.results.filter((u): u is User => !!u && typeof u.id === 'number' && typeof u.username === 'string');
      const hasNext = response.next !== null;
      return {
        ...s,
        loading: false,
        error: null,
        current: { page, count: Math.max(0, response.count), hasNext, hasPrevious: response.previous !== null, users, at },
        pageSize: hasNext && users.length > 0 ? users.length : s.pageSize,
      };
    }),
    on(directoryActions.pageFailed, (s, { page, error }): DirectoryState => (page !== s.requested ? s : { ...s, loading: false, error })),
    // The online list's changes, as the online reducer takes them (a full list always; a delta unless older
    // than the version held).
    on(onlineActions.updateReceived, (s, { update, previousVersion, at }): DirectoryState => {
      if (Array.isArray(update.users)) return seenOnline(s, update.users);
      if (previousVersion !== null && update.version <= previousVersion) return s;
      const next = seenOnline(s, update.joined);
      const left = (update.left ?? []).filter((id) => typeof id === 'number');
      if (!left.length) return next;
      const seen = { ...next.seen };
      for (const id of left) seen[id] = at;
      return { ...next, seen };
    }),
    on(onlineActions.snapshotLoaded, (s, { snapshot }): DirectoryState => seenOnline(s, snapshot.users)),
    on(
      sessionActions.loginSucceeded,
      sessionActions.registerSucceeded,
      sessionActions.logoutRequested,
      sessionActions.unauthorized,
      sessionActions.loggedOutRemotely,
      (): DirectoryState => initialDirectoryState,
    ),
  ),
});
