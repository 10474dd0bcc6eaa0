import { inject } from '@angular/core';
import { Actions, createEffect, ofType } from '@ngrx/effects';
import { Store } from '@ngrx/store';
import { filter, map, withLatestFrom } from 'rxjs';
import { PresenceSocket } from '../../core/presence-socket';
import { TokenStorage } from '../../core/token-storage';
import { onlineActions } from '../online/online.actions';
import { selectOnlineVersion } from '../online/online.selectors';
import { sessionActions } from '../session/session.actions';
import { selectSessionStatus } from '../session/session.selectors';
import { connectionActions } from './connection.actions';

/** Socket events → store. */

export const socketStatus$ = createEffect(
  (socket = inject(PresenceSocket)) =>
    socket.state$.pipe(
      map(({ status, socketId, attempt, reason }) => connectionActions.statusChanged({ status, socketId, attempt, reason })),
    ),
  { functional: true },
);

export const pings$ = createEffect(
  (socket = inject(PresenceSocket)) =>
    socket.ping$.pipe(
      map((p) =>
        connectionActions.pingReceived({
          seq: typeof p.seq === 'number' ? p.seq : null,
          ts: typeof p.ts === 'number' ? p.ts : null,
          at: Date.now(),
        }),
      ),
    ),
  { functional: true },
);

export const stats$ = createEffect(
  (socket = inject(PresenceSocket)) => socket.stats$.pipe(map((stats) => connectionActions.statsReceived({ stats, at: Date.now() }))),
  { functional: true },
);

export const serverErrors$ = createEffect(
  (socket = inject(PresenceSocket)) =>
    socket.error$.pipe(map((e) => connectionActions.serverError({ code: String(e.code ?? 'unknown'), message: String(e.message ?? '') }))),
  { functional: true },
);

export const rejected$ = createEffect(
  (socket = inject(PresenceSocket)) => socket.rejected$.pipe(map((message) => connectionActions.rejected({ message }))),
  { functional: true },
);

/** The socket says our token is bad: ask the API (a 401 there logs out cleanly). */
export const verifyToken$ = createEffect(
  (actions$ = inject(Actions), tokens = inject(TokenStorage)) =>
    actions$.pipe(
      ofType(connectionActions.serverError, connectionActions.rejected),
      filter((a) =>
        a.type === connectionActions.rejected.type
          ? true
          : a.code === 'invalid_token' || a.code === 'token_expired',
      ),
      filter(() => !!tokens.get()),
      map(() => sessionActions.verifyRequested()),
    ),
  { functional: true },
);

/** Another tab logged out (or the token expired): sign out here too. */
export const loggedOut$ = createEffect(
  (socket = inject(PresenceSocket), store = inject(Store)) =>
    socket.loggedOut$.pipe(
      withLatestFrom(store.select(selectSessionStatus)),
      filter(([, status]) => status === 'authenticated'),
      map(([p]) => sessionActions.loggedOutRemotely({ reason: String(p.reason ?? 'logout') })),
    ),
  { functional: true },
);

/** `server-action:update_user_online`, with the version held before it (for gap detection). */
export const onlineUpdates$ = createEffect(
  (socket = inject(PresenceSocket), store = inject(Store)) =>
    socket.userOnline$.pipe(
      withLatestFrom(store.select(selectOnlineVersion), store.select(selectSessionStatus)),
      // While restoring, a socket bound by the stored token already gets updates: keep them.
      filter(
        ([update, , status]) =>
          !!update && typeof update.version === 'number' && (status === 'authenticated' || status === 'restoring'),
      ),
      map(([update, previousVersion]) => onlineActions.updateReceived({ update, previousVersion, at: Date.now() })),
    ),
  { functional: true },
);
