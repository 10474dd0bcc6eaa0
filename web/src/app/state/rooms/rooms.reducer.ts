import { createFeature, createReducer, on } from '@ngrx/store';
import { PresenceError } from '../../core/ack-errors';
import { RoomMode, RoomSnapshot, RoomUpdate, User } from '../../core/models';
import { sessionActions } from '../session/session.actions';
import { roomsActions } from './rooms.actions';

/** `joining`: a `presence:join` is out (or waits for the connection); `error`: it was refused. */
export type RoomStatus = 'joining' | 'joined' | 'error';

export interface Room {
  name: string;
  status: RoomStatus;
  /** Grows with each `presence:join` sent for the room; an answer to an older one is dropped. */
  attempt: number;
  mode: RoomMode;
  /** The room's version we hold (per room, from the server); null before the first answer. */
  version: number | null;
  /** The server's count with the last answer or update. */
  count: number;
  /** Members by id in list mode; null in count mode and before the first answer. */
  members: Record<number, User> | null;
  /** A version gap was seen: diffs are not applied until a snapshot (refetch) or a rejoin comes. */
  stale: boolean;
  error: PresenceError | null;
}

export interface RoomsState {
  /** Room names in the order they were joined. */
  names: string[];
  rooms: Record<string, Room>;
  /** A failure that belongs to no room on the page any more (a refused leave). */
  notice: { room: string; error: PresenceError } | null;
}

export const initialRoomsState: RoomsState = { names: [], rooms: {}, notice: null };

/** The room of that name, if held. (Own properties only: room names may look like `constructor`.) */
export function roomOf(s: RoomsState, name: string): Room | undefined {
  return Object.hasOwn(s.rooms, name) ? s.rooms[name] : undefined;
}

export type UpdateVerdict = 'ignore' | 'apply' | 'gap';

/**
 * What to do with a `presence:update` given the room as held:
 * - not joined (none, joining, refused), or not newer than what we hold: ignore (a rejoin's ack brings all);
 * - count mode: apply (counts are absolute and come at most once a second, so versions may skip);
 * - list mode: apply when it follows our version; else a gap (also when we hold only a count, or are
 *   already waiting for a refetch), which a refetch resolves.
 */
export function classifyUpdate(room: Room | undefined, update: RoomUpdate): UpdateVerdict {
  if (!room || room.status !== 'joined' || typeof update.version !== 'number') return 'ignore';
  if (room.version !== null && update.version <= room.version) return 'ignore';
  if (update.mode === 'count') return 'apply';
  if (room.stale || room.members === null || room.version === null || update.version !== room.version + 1) return 'gap';
  return 'apply';
}

function isUser(u: unknown): u is User {
  return !!u && typeof (u as User).id === 'number' && typeof (u as User).username === 'string';
}

function byId(users: readonly unknown[]): Record<number, User> {
  const out: Record<number, User> = {};
  for (const u of users) if (isUser(u)) out[u.id] = u;
  return out;
}

/** A full list, or only a count (a large room; or `users: []` with a count above zero). */
function membersOf(users: unknown, count: number): Record<number, User> | null {
  if (!Array.isArray(users) || (users.length === 0 && count > 0)) return null;
  return byId(users);
}

function withRoom(s: RoomsState, room: Room): RoomsState {
  const names = s.names.includes(room.name) ? s.names : [...s.names, room.name];
  return { ...s, names, rooms: { ...s.rooms, [room.name]: room } };
}

function withoutRoom(s: RoomsState, name: string): RoomsState {
  if (!roomOf(s, name)) return s;
  const rooms = { ...s.rooms };
  delete rooms[name];
  return { ...s, names: s.names.filter((n) => n !== name), rooms };
}

function freshRoom(name: string, attempt: number): Room {
  return { name, status: 'joining', attempt, mode: 'list', version: null, count: 0, members: null, stale: false, error: null };
}

function applyUpdate(room: Room, update: RoomUpdate): Room {
  const count = typeof update.count === 'number' ? update.count : room.count;
  if (update.mode === 'count') return { ...room, mode: 'count', version: update.version, count, members: null, stale: false };
  const members = { ...room.members };
  for (const id of update.left ?? []) delete members[id];
  for (const u of update.joined ?? []) if (isUser(u)) members[u.id] = u;
  for (const u of update.changed ?? []) if (isUser(u) && members[u.id]) members[u.id] = u;
  return { ...room, mode: 'list', version: update.version, count, members };
}

function fromSnapshot(room: Room, snap: { version: number; count: number; users?: unknown }, mode?: RoomMode): Room {
  const members = mode === 'count' ? null : membersOf(snap.users, snap.count);
  return {
    ...room,
    status: 'joined',
    mode: members ? 'list' : 'count',
    version: snap.version,
    count: snap.count,
    members,
    stale: false,
    error: null,
  };
}

export const roomsFeature = createFeature({
  name: 'rooms',
  reducer: createReducer(
    initialRoomsState,
    on(roomsActions.joinRequested, (s, { room }): RoomsState => {
      const held = roomOf(s, room);
      if (held && held.status !== 'error') return s;
      return withRoom(s, freshRoom(room, (held?.attempt ?? 0) + 1));
    }),
    on(roomsActions.rejoinRequested, (s, { rooms }): RoomsState => {
      let next = s;
      for (const name of rooms) {
        const held = roomOf(next, name);
        if (held) next = withRoom(next, { ...held, status: 'joining', attempt: held.attempt + 1, stale: false, error: null });
      }
      return next;
    }),
    on(roomsActions.joinSucceeded, (s, { room, attempt, ack }): RoomsState => {
      const held = roomOf(s, room);
      if (!held || held.attempt !== attempt || typeof ack.version !== 'number') return s;
      return withRoom(s, fromSnapshot(held, ack, ack.mode));
    }),
    on(roomsActions.joinFailed, (s, { room, attempt, error }): RoomsState => {
      const held = roomOf(s, room);
      if (!held || held.attempt !== attempt) return s;
      return withRoom(s, { ...held, status: 'error', error });
    }),
    on(roomsActions.leaveRequested, roomsActions.dismissed, (s, { room }): RoomsState => withoutRoom(s, room)),
    on(roomsActions.leaveFailed, (s, { room, error }): RoomsState => ({ ...s, notice: { room, error } })),
    on(roomsActions.noticeDismissed, (s): RoomsState => (s.notice ? { ...s, notice: null } : s)),
    on(roomsActions.updateReceived, (s, { update }): RoomsState => {
      const held = roomOf(s, update.room);
      switch (classifyUpdate(held, update)) {
        case 'ignore':
          return s;
        case 'gap':
          return held!.stale ? s : withRoom(s, { ...held!, stale: true });
        case 'apply':
          return withRoom(s, applyUpdate(held!, update));
      }
    }),
    on(roomsActions.snapshotLoaded, (s, { room, snapshot }): RoomsState => {
      const held = roomOf(s, room);
      if (!held || held.status !== 'joined' || typeof snapshot.version !== 'number') return s;
      // Older than what we hold, and nothing missing: a request that lost the race with the updates.
      if (!held.stale && held.version !== null && snapshot.version < held.version) return s;
      return withRoom(s, fromSnapshot(held, snapshot));
    }),
    on(
      sessionActions.loginSucceeded,
      sessionActions.registerSucceeded,
      sessionActions.logoutRequested,
      sessionActions.unauthorized,
      sessionActions.loggedOutRemotely,
      (): RoomsState => initialRoomsState,
    ),
  ),
});

/** The snapshot answer's shape check (the HTTP body is not trusted to be one). */
export function isRoomSnapshot(x: unknown): x is RoomSnapshot {
  return !!x && typeof (x as RoomSnapshot).version === 'number' && typeof (x as RoomSnapshot).count === 'number';
}
