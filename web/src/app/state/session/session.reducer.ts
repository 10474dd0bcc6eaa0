import { createFeature, createReducer, on } from '@ngrx/store';
import { ApiErrors, User } from '../../core/models';
import { sessionActions } from './session.actions';

export type SessionStatus =
  /** Before the app decided (first instants). */
  | 'unknown'
  /** A token was in storage; `GET /api/me/` is on its way. */
  | 'restoring'
  | 'anonymous'
  /** Login or register call in flight. */
  | 'authenticating'
  | 'authenticated';

export interface SessionState {
  user: User | null;
  token: string | null;
  status: SessionStatus;
  errors: ApiErrors | null;
  /** A short message for the login form ("You were signed out in another tab."). */
  notice: string | null;
}

export const initialSessionState: SessionState = {
  user: null,
  token: null,
  status: 'unknown',
  errors: null,
  notice: null,
};

const signedOut = (notice: string | null): SessionState => ({ ...initialSessionState, status: 'anonymous', notice });

export const sessionFeature = createFeature({
  name: 'session',
  reducer: createReducer(
    initialSessionState,
    on(sessionActions.restoreStarted, (s, { token }): SessionState => ({ ...s, token, status: 'restoring' })),
    on(sessionActions.restoreSucceeded, (s, { user }): SessionState =>
      s.token ? { ...s, user, status: 'authenticated', errors: null, notice: null } : s,
    ),
    on(sessionActions.noSession, (): SessionState => signedOut(null)),

    on(sessionActions.loginSubmitted, sessionActions.registerSubmitted, (s): SessionState => ({
      ...s,
      status: 'authenticating',
      errors: null,
      notice: null,
    })),
    on(sessionActions.loginSucceeded, sessionActions.registerSucceeded, (s, { user, token }): SessionState => ({
      ...s,
      user,
      token,
      status: 'authenticated',
      errors: null,
      notice: null,
    })),
    on(sessionActions.loginFailed, sessionActions.registerFailed, (s, { errors }): SessionState => ({
      ...s,
      user: null,
      token: null,
      status: 'anonymous',
      errors,
    })),

    on(sessionActions.logoutRequested, (): SessionState => signedOut(null)),
    on(sessionActions.unauthorized, (s): SessionState =>
      s.status === 'authenticated' || s.status === 'restoring'
        ? signedOut('Your session has ended. Please sign in again.')
        : s,
    ),
    on(sessionActions.loggedOutRemotely, (s, { reason }): SessionState =>
      s.status === 'authenticated'
        ? signedOut(
            reason === 'token_expired'
              ? 'Your session expired. Please sign in again.'
              : 'You were signed out (logged out in another tab or window).',
          )
        : s,
    ),
    on(sessionActions.errorsCleared, (s): SessionState => (s.errors ? { ...s, errors: null } : s)),
  ),
});
