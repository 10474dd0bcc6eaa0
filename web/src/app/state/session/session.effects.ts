import { HttpErrorResponse } from '@angular/common/http';
import { inject } from '@angular/core';
import { Router } from '@angular/router';
import { Actions, ROOT_EFFECTS_INIT, createEffect, ofType } from '@ngrx/effects';
import { EMPTY, catchError, exhaustMap, map, of, retry, switchMap, tap, throwError, timer } from 'rxjs';
import { ApiService } from '../../core/api.service';
import { toApiErrors } from '../../core/api-errors';
import { PresenceSocket } from '../../core/presence-socket';
import { TokenStorage } from '../../core/token-storage';
import { onlineActions } from '../online/online.actions';
import { sessionActions } from './session.actions';

/** Backoff for `GET /api/me/` when the server cannot be reached (not for a 401): 1, 2, 4, 5, 5… s. */
const restoreRetryMs = (attempt: number) => Math.min(1000 * 2 ** (attempt - 1), 5000);

/** App start: a token in storage → restore the session, else anonymous. */
export const init$ = createEffect(
  (actions$ = inject(Actions), tokens = inject(TokenStorage)) =>
    actions$.pipe(
      ofType(ROOT_EFFECTS_INIT),
      map(() => {
        const token = tokens.get();
        return token ? sessionActions.restoreStarted({ token }) : sessionActions.noSession();
      }),
    ),
  { functional: true },
);

/**
 * `GET /api/me/` with the stored token. A 401 is handled by the interceptor (→ Unauthorized); network
 * failures and 5xx are retried with backoff, so a server restart does not log anyone out.
 */
export const restore$ = createEffect(
  (actions$ = inject(Actions), api = inject(ApiService)) =>
    actions$.pipe(
      ofType(sessionActions.restoreStarted, sessionActions.verifyRequested),
      switchMap(() =>
        api.me().pipe(
          retry({
            delay: (err: unknown, attempt: number) =>
              err instanceof HttpErrorResponse && (err.status === 0 || err.status >= 500)
                ? timer(restoreRetryMs(attempt))
                : throwError(() => err),
          }),
          map((user) => sessionActions.restoreSucceeded({ user })),
          catchError(() => EMPTY),
        ),
      ),
    ),
  { functional: true },
);

export const login$ = createEffect(
  (actions$ = inject(Actions), api = inject(ApiService)) =>
    actions$.pipe(
      ofType(sessionActions.loginSubmitted),
      exhaustMap(({ username, password }) =>
        api.login(username, password).pipe(
          map(({ user, token }) => sessionActions.loginSucceeded({ user, token })),
          catchError((err: unknown) => of(sessionActions.loginFailed({ errors: toApiErrors(err) }))),
        ),
      ),
    ),
  { functional: true },
);

export const register$ = createEffect(
  (actions$ = inject(Actions), api = inject(ApiService)) =>
    actions$.pipe(
      ofType(sessionActions.registerSubmitted),
      exhaustMap(({ username, email, password }) =>
        api.register(username, email, password).pipe(
          map(({ user, token }) => sessionActions.registerSucceeded({ user, token })),
          catchError((err: unknown) => of(sessionActions.registerFailed({ errors: toApiErrors(err) }))),
        ),
      ),
    ),
  { functional: true },
);

/** After an HTTP login: keep the token, bind the socket at once, show the online page. */
export const authenticated$ = createEffect(
  (actions$ = inject(Actions), tokens = inject(TokenStorage), socket = inject(PresenceSocket), router = inject(Router)) =>
    actions$.pipe(
      ofType(sessionActions.loginSucceeded, sessionActions.registerSucceeded),
      tap(({ token }) => {
        tokens.set(token);
        socket.login(token);
        void router.navigateByUrl('/');
      }),
    ),
  { functional: true, dispatch: false },
);

/** Once logged in (or restored): load the online list over HTTP as well as from the socket. */
export const loadOnlineAfterAuth$ = createEffect(
  (actions$ = inject(Actions)) =>
    actions$.pipe(
      ofType(sessionActions.loginSucceeded, sessionActions.registerSucceeded, sessionActions.restoreSucceeded),
      map(() => onlineActions.refetchRequested({ reason: 'login' })),
    ),
  { functional: true },
);

/**
 * Logout: the token is taken out of storage first (no pong or reconnect carries it any more), the socket
 * is unbound, the store is already cleared by the reducer, then `POST /api/logout/` revokes the token
 * (its failure changes nothing locally).
 */
export const logout$ = createEffect(
  (actions$ = inject(Actions), api = inject(ApiService), tokens = inject(TokenStorage), socket = inject(PresenceSocket), router = inject(Router)) =>
    actions$.pipe(
      ofType(sessionActions.logoutRequested),
      exhaustMap(() => {
        const token = tokens.get();
        tokens.clear();
        socket.logout();
        void router.navigateByUrl('/login');
        if (!token) return of(sessionActions.logoutCompleted({ ok: true }));
        return api.logout(token).pipe(
          map(() => sessionActions.logoutCompleted({ ok: true })),
          catchError(() => of(sessionActions.logoutCompleted({ ok: false }))),
        );
      }),
    ),
  { functional: true },
);

/** The token died (401) or another tab logged out: forget it and show the login form. */
export const signedOut$ = createEffect(
  (actions$ = inject(Actions), tokens = inject(TokenStorage), socket = inject(PresenceSocket), router = inject(Router)) =>
    actions$.pipe(
      ofType(sessionActions.unauthorized, sessionActions.loggedOutRemotely),
      tap((action) => {
        tokens.clear();
        if (action.type === sessionActions.unauthorized.type) socket.logout();
        void router.navigateByUrl('/login');
      }),
    ),
  { functional: true, dispatch: false },
);
