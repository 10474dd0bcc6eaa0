import { createFeature, createReducer, on } from '@ngrx/store';
import { connectionActions } from '../connection/connection.actions';
import { sessionActions } from '../session/session.actions';
import { StatsSample, parseStats } from './operator.models';

/** Samples kept: 150 pushes, one a second, is 2.5 minutes (the chart shows the last 2). */
export const HISTORY_LIMIT = 150;

export interface OperatorState {
  /**
   * The latest `server-action:stats` pushes, oldest first, at most HISTORY_LIMIT (a bounded ring: the
   * oldest sample drops out when a new one comes in). All from one node: when the socket lands on
   * another node (a reconnect behind a load balancer), the history starts again.
   */
  samples: readonly StatsSample[];
}

export const initialOperatorState: OperatorState = { samples: [] };

/** Appends a sample to the ring; duplicates and late pushes (not newer than the last one) are dropped. */
export function appendSample(samples: readonly StatsSample[], sample: StatsSample, limit = HISTORY_LIMIT): readonly StatsSample[] {
  const last = samples.at(-1);
  if (last && last.self.node !== sample.self.node) return [sample];
  if (last && sample.self.at <= last.self.at) return samples;
  const next = samples.length >= limit ? samples.slice(samples.length - limit + 1) : samples.slice();
  next.push(sample);
  return next;
}

export const operatorFeature = createFeature({
  name: 'operator',
  reducer: createReducer(
    initialOperatorState,
    on(connectionActions.statsReceived, (s, { stats, at }): OperatorState => {
      const sample = parseStats(stats, at);
      if (!sample) return s;
      const samples = appendSample(s.samples, sample);
      return samples === s.samples ? s : { samples };
    }),
    on(
      sessionActions.logoutRequested,
      sessionActions.unauthorized,
      sessionActions.loggedOutRemotely,
      (): OperatorState => initialOperatorState,
    ),
  ),
});
