import { createFeatureSelector, createSelector } from '@ngrx/store';
import { ConnectionSliceState } from './connection.reducer';

export const selectConnection = createFeatureSelector<ConnectionSliceState>('connection');
export const selectConnectionStatus = createSelector(selectConnection, (s) => s.status);
export const selectLastPing = createSelector(selectConnection, (s) => s.lastPing);
export const selectStats = createSelector(selectConnection, (s) => s.stats);
export const selectStatsAt = createSelector(selectConnection, (s) => s.statsAt);
