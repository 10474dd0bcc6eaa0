import { createActionGroup, emptyProps, props } from '@ngrx/store';
import { ApiErrors, User } from '../../core/models';

export const sessionActions = createActionGroup({
  source: 'Session',
  events: {
    /** App start with a token in storage: `GET /api/me/`. */
    'Restore Started': props<{ token: string }>(),
    'Restore Succeeded': props<{ user: User }>(),
    /** App start without a token. */
    'No Session': emptyProps(),

    'Login Submitted': props<{ username: string; password: string }>(),
    'Login Succeeded': props<{ user: User; token: string }>(),
    'Login Failed': props<{ errors: ApiErrors }>(),

    'Register Submitted': props<{ username: string; email: string; password: string }>(),
    'Register Succeeded': props<{ user: User; token: string }>(),
    'Register Failed': props<{ errors: ApiErrors }>(),

    /** The logout control. Local state is cleared at once; `POST /api/logout/` follows. */
    'Logout Requested': emptyProps(),
    'Logout Completed': props<{ ok: boolean }>(),

    /** A 401 from an API call: the token is dead. */
    Unauthorized: emptyProps(),
    /** `server-action:logged_out` (another tab logged out, or the token expired). */
    'Logged Out Remotely': props<{ reason: string }>(),
    /** The socket said our token is bad: check it with `GET /api/me/`. */
    'Verify Requested': emptyProps(),

    /** Forget form errors (when switching between login and register). */
    'Errors Cleared': emptyProps(),
  },
});
