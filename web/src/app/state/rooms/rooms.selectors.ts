import { createFeatureSelector, createSelector } from '@ngrx/store';
import { PresenceError } from '../../core/ack-errors';
import { RoomMode, User } from '../../core/models';
import { selectCurrentUserId } from '../session/session.selectors';
import { RoomStatus, RoomsState } from './rooms.reducer';

export interface RoomMemberEntry {
  id: number;
  username: string;
  user: User;
  isMe: boolean;
}

/** A room as the page shows it. */
export interface RoomView {
  name: string;
  status: RoomStatus;
  mode: RoomMode;
  /** The number shown: the list's length in list mode (what the user sees), the server's count otherwise. */
  count: number;
  /** Sorted, the current user first; null in count mode or before the first answer. */
  members: RoomMemberEntry[] | null;
  stale: boolean;
  /** Held a list or count before (a rejoin after a reconnect shows the old one meanwhile). */
  known: boolean;
  error: PresenceError | null;
}

export const selectRoomsState = createFeatureSelector<RoomsState>('rooms');
export const selectRoomNames = createSelector(selectRoomsState, (s) => s.names);
export const selectRoomsNotice = createSelector(selectRoomsState, (s) => s.notice);

const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

export const selectRoomViews = createSelector(selectRoomsState, selectCurrentUserId, (s, me): RoomView[] =>
  s.names.map((name) => {
    const r = s.rooms[name];
    const members = r.members
      ? Object.values(r.members)
          .map((user) => ({ id: user.id, username: user.username, user, isMe: user.id === me }))
          .sort((a, b) => Number(b.isMe) - Number(a.isMe) || collator.compare(a.username, b.username) || a.id - b.id)
      : null;
    return {
      name,
      status: r.status,
      mode: r.mode,
      count: members ? members.length : r.count,
      members,
      stale: r.stale,
      known: r.version !== null,
      error: r.error,
    };
  }),
);
