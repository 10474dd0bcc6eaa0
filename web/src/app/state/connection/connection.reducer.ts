import { createFeature, createReducer, on } from '@ngrx/store';
import { ConnectionStatus } from '../../core/presence-socket';
import { sessionActions } from '../session/session.actions';
import { connectionActions } from './connection.actions';

export interface ConnectionSliceState {
  status: ConnectionStatus;
  socketId: string | null;
  attempt: number;
  reason: string | null;
  lastPing: { seq: number | null; ts: number | null; at: number } | null;
  /** Latest `server-action:stats` (staff only). */
  stats: unknown;
  statsAt: number | null;
  lastError: { code: string; message: string } | null;
}

export const initialConnectionState: ConnectionSliceState = {
  status: 'offline',
  socketId: null,
  attempt: 0,
  reason: null,
  lastPing: null,
  stats: null,
  statsAt: null,
  lastError: null,
};

export const connectionFeature = createFeature({
  name: 'connection',
  reducer: createReducer(
    initialConnectionState,
    on(connectionActions.statusChanged, (s, { status, socketId, attempt, reason }): ConnectionSliceState => ({
      ...s,
      status,
      socketId,
      attempt,
      reason,
    })),
    on(connectionActions.pingReceived, (s, { seq, ts, at }): ConnectionSliceState => ({ ...s, lastPing: { seq, ts, at } })),
    on(connectionActions.statsReceived, (s, { stats, at }): ConnectionSliceState => ({ ...s, stats, statsAt: at })),
    on(connectionActions.serverError, (s, { code, message }): ConnectionSliceState => ({ ...s, lastError: { code, message } })),
    on(
      sessionActions.logoutRequested,
      sessionActions.unauthorized,
      sessionActions.loggedOutRemotely,
      (s): ConnectionSliceState => ({ ...s, stats: null, statsAt: null }),
    ),
  ),
});
