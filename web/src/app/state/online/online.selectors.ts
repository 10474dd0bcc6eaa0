import { createFeatureSelector, createSelector } from '@ngrx/store';
import { User } from '../../core/models';
import { selectCurrentUserId } from '../session/session.selectors';
import { OnlineState } from './online.reducer';

/** One row of the online list. */
export interface OnlineEntry {
  id: number;
  username: string;
  user: User;
  /** Epoch ms the user was first seen online in this session. */
  since: number | null;
  isMe: boolean;
}

// Select the online slice first and derive from it: actions that do not touch this slice (pings,
// connection changes, form errors) return the same slice object, so the sorted list stays memoized.
export const selectOnline = createFeatureSelector<OnlineState>('online');
export const selectOnlineVersion = createSelector(selectOnline, (s) => s.version);
export const selectOnlineUsersById = createSelector(selectOnline, (s) => s.users);
export const selectOnlineSince = createSelector(selectOnline, (s) => s.since);
export const selectOnlineLoaded = createSelector(selectOnline, (s) => s.loaded);
export const selectOnlineLastUpdate = createSelector(selectOnline, (s) => s.lastUpdate);

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/** The online users, the current user first, then by username. */
export const selectOnlineList = createSelector(
  selectOnlineUsersById,
  selectOnlineSince,
  selectCurrentUserId,
  (users, since, me): OnlineEntry[] =>
    Object.values(users)
      .map((user) => ({
        id: user.id,
        username: user.username,
        user,
        since: since[user.id] ?? null,
        isMe: user.id === me,
      }))
      .sort((a, b) => Number(b.isMe) - Number(a.isMe) || collator.compare(a.username, b.username) || a.id - b.id),
);

/** How many are online: the length of the list shown (kept consistent with what the user sees). */
export const selectOnlineCount = createSelector(selectOnlineList, (list) => list.length);
