import { inject } from '@angular/core';
import { CanActivateFn, Router } from '@angular/router';
import { Store } from '@ngrx/store';
import { filter, map, take } from 'rxjs';
import { selectSession } from './state/session/session.selectors';

/** Waits until the session is known (restore finished), then decides. */
function whenKnown() {
  return inject(Store)
    .select(selectSession)
    .pipe(
      filter((s) => s.status !== 'unknown' && s.status !== 'restoring'),
      take(1),
    );
}

/** Pages for logged-in users: others go to the login form. */
export const authGuard: CanActivateFn = () => {
  const router = inject(Router);
  return whenKnown().pipe(map((s) => (s.status === 'authenticated' ? true : router.parseUrl('/login'))));
};

/** Login and register: a logged-in user goes to the online page. */
export const anonymousGuard: CanActivateFn = () => {
  const router = inject(Router);
  return whenKnown().pipe(map((s) => (s.status === 'authenticated' ? router.parseUrl('/') : true)));
};

/** The operator page: staff only, everyone else is sent to `/`. */
export const staffGuard: CanActivateFn = () => {
  const router = inject(Router);
  return whenKnown().pipe(
    map((s) => {
      if (s.status !== 'authenticated') return router.parseUrl('/login');
      return s.user?.is_staff ? true : router.parseUrl('/');
    }),
  );
};
