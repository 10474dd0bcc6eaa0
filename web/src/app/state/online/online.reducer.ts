import { createFeature, createReducer, on } from '@ngrx/store';
import { OnlineUpdate, User } from '../../core/models';
import { sessionActions } from '../session/session.actions';
import { onlineActions } from './online.actions';

export interface OnlineState {
  /** Version of the online set we hold (null: none yet). */
  version: number | null;
  /** Online users by id. */
  users: Record<number, User>;
  /** Server's count with the last update or snapshot. */
  count: number;
  /** When we last changed the list (epoch ms). */
  lastUpdate: number | null;
  /** When this SPA first saw each user online in this session (epoch ms). */
  since: Record<number, number>;
  /** True once a full list arrived. */
  loaded: boolean;
}

export const initialOnlineState: OnlineState = {
  version: null,
  users: {},
  count: 0,
  lastUpdate: null,
  since: {},
  loaded: false,
};

/** An update needs a refetch when it carries no full list and does not follow the version we hold. */
export function isGap(update: OnlineUpdate, previousVersion: number | null): boolean {
  if (Array.isArray(update.users)) return false;
  return previousVersion === null || update.version !== previousVersion + 1;
}

function parseTime(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/** Replaces the whole list; keeps the "online since" of users we already had. */
function replaceAll(state: OnlineState, list: User[], version: number, count: number, at: number): OnlineState {
  const users: Record<number, User> = {};
  const since: Record<number, number> = {};
  for (const u of list) {
    if (!u || typeof u.id !== 'number') continue;
    users[u.id] = u;
    const known = state.since[u.id];
    if (known !== undefined) {
      since[u.id] = known;
    } else {
      // First list of the session: the server's last_seen (if in the past) tells more than "now".
      const seen = state.loaded ? null : parseTime(u.last_seen);
      since[u.id] = seen !== null && seen <= at ? seen : at;
    }
  }
  return { version, users, count, since, lastUpdate: at, loaded: true };
}

function applyDelta(state: OnlineState, update: OnlineUpdate, at: number): OnlineState {
  const users = { ...state.users };
  const since = { ...state.since };
  for (const id of update.left ?? []) {
    delete users[id];
    delete since[id];
  }
  for (const u of update.joined ?? []) {
    if (!u || typeof u.id !== 'number') continue;
    users[u.id] = u;
    if (since[u.id] === undefined) since[u.id] = at;
  }
  return { ...state, version: update.version, count: update.count, users, since, lastUpdate: at };
}

export const onlineFeature = createFeature({
  name: 'online',
  reducer: createReducer(
    initialOnlineState,
    on(onlineActions.updateReceived, (s, { update, at }): OnlineState => {
      if (Array.isArray(update.users)) return replaceAll(s, update.users, update.version, update.count, at);
      // A duplicate or older delta: ignore (a backwards jump triggers a refetch in the effects).
      if (s.version !== null && update.version <= s.version) return s;
      return applyDelta(s, update, at);
    }),
    on(onlineActions.snapshotLoaded, (s, { snapshot, basis, at }): OnlineState => {
      // A newer update arrived while the request was out: the snapshot is stale.
      if (s.version !== null && s.version !== basis && snapshot.version < s.version) return s;
      return replaceAll(s, snapshot.users ?? [], snapshot.version, snapshot.count, at);
    }),
    on(
      sessionActions.loginSucceeded,
      sessionActions.registerSucceeded,
      sessionActions.logoutRequested,
      sessionActions.unauthorized,
      sessionActions.loggedOutRemotely,
      (): OnlineState => initialOnlineState,
    ),
  ),
});
