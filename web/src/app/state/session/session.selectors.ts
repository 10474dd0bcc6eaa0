import { createFeatureSelector, createSelector } from '@ngrx/store';
import { SessionState } from './session.reducer';

export const selectSession = createFeatureSelector<SessionState>('session');
export const selectUser = createSelector(selectSession, (s) => s.user);
export const selectToken = createSelector(selectSession, (s) => s.token);
export const selectSessionStatus = createSelector(selectSession, (s) => s.status);
export const selectSessionErrors = createSelector(selectSession, (s) => s.errors);
export const selectSessionNotice = createSelector(selectSession, (s) => s.notice);
export const selectIsAuthenticated = createSelector(selectSessionStatus, (s) => s === 'authenticated');
/** The current user's id (a number: stable for memoization downstream). */
export const selectCurrentUserId = createSelector(selectUser, (u) => u?.id ?? null);
export const selectUsername = createSelector(selectUser, (u) => u?.username ?? null);
export const selectIsStaff = createSelector(selectUser, (u) => !!u?.is_staff);
/** True while the app does not know yet whether the user is logged in (show no login form then). */
export const selectSessionPending = createSelector(
  selectSessionStatus,
  (s) => s === 'unknown' || s === 'restoring',
);
