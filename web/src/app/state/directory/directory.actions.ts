import { HttpErrorResponse } from '@angular/common/http';
import { createActionGroup, props } from '@ngrx/store';
import { UsersPage } from '../../core/models';

/** Why a page of the directory could not be shown. `status` is the HTTP status (0: no answer; null: unreadable). */
export interface DirectoryError {
  status: number | null;
  message: string;
}

/** A failed `GET /api/users/` as the People page explains it. */
export function toDirectoryError(err: unknown): DirectoryError {
  if (!(err instanceof HttpErrorResponse)) return { status: null, message: 'Something went wrong. Please try again.' };
  if (err.status === 0) return { status: 0, message: "Can't reach the server. Check your connection and try again." };
  // DRF: `{"detail": "Invalid page."}` for a page past the last one (accounts may have gone since).
  if (err.status === 404) return { status: 404, message: 'There is no such page (any more).' };
  if (err.status === 429) return { status: 429, message: 'Too many requests. Wait a moment and try again.' };
  if (err.status >= 500) return { status: err.status, message: `The server had a problem (${err.status}). Please try again.` };
  return { status: err.status, message: `The request failed (${err.status}). Please try again.` };
}

export const directoryActions = createActionGroup({
  source: 'Directory',
  events: {
    /** The People page shows page `page` (on entry, from the pager, or Reload): `GET /api/users/?page=N`. */
    'Page Requested': props<{ page: number }>(),
    'Page Loaded': props<{ page: number; response: UsersPage; at: number }>(),
    'Page Failed': props<{ page: number; error: DirectoryError }>(),
  },
});
