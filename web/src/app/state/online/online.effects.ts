import { HttpErrorResponse } from '@angular/common/http';
import { inject } from '@angular/core';
import { Actions, createEffect, ofType } from '@ngrx/effects';
import { Store } from '@ngrx/store';
import { catchError, filter, map, of, switchMap, withLatestFrom } from 'rxjs';
import { ApiService } from '../../core/api.service';
import { onlineActions } from './online.actions';
import { isGap } from './online.reducer';
import { selectOnlineVersion } from './online.selectors';

/** A delta whose version is not previous+1 (and no full list with it): reload the list. */
export const refetchOnGap$ = createEffect(
  (actions$ = inject(Actions)) =>
    actions$.pipe(
      ofType(onlineActions.updateReceived),
      filter(({ update, previousVersion }) => isGap(update, previousVersion)),
      map(() => onlineActions.refetchRequested({ reason: 'gap' })),
    ),
  { functional: true },
);

/** `GET /api/users/online/`; the latest request wins. */
export const refetch$ = createEffect(
  (actions$ = inject(Actions), api = inject(ApiService), store = inject(Store)) =>
    actions$.pipe(
      ofType(onlineActions.refetchRequested),
      withLatestFrom(store.select(selectOnlineVersion)),
      switchMap(([, basis]) =>
        api.online().pipe(
          map((snapshot) => onlineActions.snapshotLoaded({ snapshot, basis, at: Date.now() })),
          catchError((err: unknown) =>
            of(
              onlineActions.snapshotFailed({
                message: err instanceof HttpErrorResponse ? `${err.status} ${err.statusText}` : String(err),
              }),
            ),
          ),
        ),
      ),
    ),
  { functional: true },
);
