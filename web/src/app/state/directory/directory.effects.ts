import { inject } from '@angular/core';
import { Actions, createEffect, ofType } from '@ngrx/effects';
import { catchError, map, of, switchMap } from 'rxjs';
import { ApiService } from '../../core/api.service';
import { directoryActions, toDirectoryError } from './directory.actions';
import { isUsersPage } from './directory.reducer';

/**
 * `GET /api/users/?page=N` for each page asked for; the latest request wins (paging fast cancels the
 * pages passed over). A 401 is handled by the auth interceptor (signed out); it is reported here as well.
 */
export const loadPage$ = createEffect(
  (actions$ = inject(Actions), api = inject(ApiService)) =>
    actions$.pipe(
      ofType(directoryActions.pageRequested),
      switchMap(({ page }) =>
        api.users(page).pipe(
          map((response) =>
            isUsersPage(response)
              ? directoryActions.pageLoaded({ page, response, at: Date.now() })
              : directoryActions.pageFailed({ page, error: { status: null, message: 'The server sent an unreadable answer.' } }),
          ),
          catchError((err: unknown) => of(directoryActions.pageFailed({ page, error: toDirectoryError(err) }))),
        ),
      ),
    ),
  { functional: true },
);
