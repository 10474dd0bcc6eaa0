import { statsPayload, StatsOverrides } from '../../../testing/stats';
import { connectionActions } from '../connection/connection.actions';
import { OperatorState, initialOperatorState, operatorFeature } from './operator.reducer';
import {
  CHART_WINDOW_MS,
  counterRate,
  kindLabel,
  selectActorRows,
  selectChartSeries,
  selectOperatorOverview,
} from './operator.selectors';

const T0 = 1_764_000_000_000;

function history(...payloads: StatsOverrides[]): { operator: OperatorState } {
  let s = initialOperatorState;
  payloads.forEach((p, i) => {
    s = operatorFeature.reducer(s, connectionActions.statsReceived({ stats: statsPayload(p), at: 1000 + i }));
  });
  return { operator: s };
}

describe('operator selectors', () => {
  afterEach(() => {
    selectOperatorOverview.release();
    selectChartSeries.release();
    selectActorRows.release();
  });

  it('null before the first push', () => {
    const state = { operator: initialOperatorState };
    expect(selectOperatorOverview(state)).toBeNull();
    expect(selectChartSeries(state)).toBeNull();
    expect(selectActorRows(state)).toEqual([]);
  });

  it('counterRate: per second between two counters; null on a reset, a missing counter or no time', () => {
    expect(counterRate(100, 130, 0, 2000)).toBe(15);
    expect(counterRate(100, 100, 0, 1000)).toBe(0);
    expect(counterRate(100, 50, 0, 1000)).toBeNull();
    expect(counterRate(100, 130, 1000, 1000)).toBeNull();
    expect(counterRate(null, 130, 0, 1000)).toBeNull();
    expect(counterRate(100, undefined, 0, 1000)).toBeNull();
  });

  it('derives broadcasts/s and bytes/s from successive counters of this node', () => {
    const one = selectOperatorOverview(history({ at: T0, broadcasts: 10, bytesIn: 1000, bytesOut: 5000 }))!;
    expect(one.self.rates).toEqual({ broadcastsPerSec: null, bytesInPerSec: null, bytesOutPerSec: null, broadcastsPerSecMinute: null });

    const o = selectOperatorOverview(
      history(
        { at: T0, broadcasts: 10, bytesIn: 1000, bytesOut: 5000 },
        { at: T0 + 1000, broadcasts: 14, bytesIn: 1500, bytesOut: 9000 },
        { at: T0 + 3000, broadcasts: 20, bytesIn: 2500, bytesOut: 9000 },
      ),
    )!;
    // Between the last two: 6 broadcasts, 1000 B in, 0 B out over 2 s.
    expect(o.self.rates).toEqual({ broadcastsPerSec: 3, bytesInPerSec: 500, bytesOutPerSec: 0, broadcastsPerSecMinute: 10 / 3 });
    expect(o.self.connections).toBe(123);
    expect(o.cluster).toBeNull();
    expect(o.nodes.map((n) => n.isSelf)).toEqual([true]);
    expect(o.receivedAt).toBe(1002);
  });

  it('broadcasts per second over the last minute, from the oldest counter within it', () => {
    const pushes: StatsOverrides[] = [];
    // 2 broadcasts a second for 30 s, then 8 a second for 60 s.
    let b = 0;
    for (let i = 0; i <= 90; i++) {
      pushes.push({ at: T0 + i * 1000, broadcasts: b });
      b += i < 30 ? 2 : 8;
    }
    const o = selectOperatorOverview(history(...pushes))!;
    expect(o.self.rates.broadcastsPerSec).toBe(8);
    expect(o.self.rates.broadcastsPerSecMinute).toBe(8);
    selectOperatorOverview.release();
    const early = selectOperatorOverview(history(...pushes.slice(0, 41)))!;
    // Over the 40 s held: 30 × 2 + 10 × 8 = 140.
    expect(early.self.rates.broadcastsPerSecMinute).toBe(140 / 40);
  });

  it('a counter that went backwards (a restart) gives no rate rather than a negative one', () => {
    const o = selectOperatorOverview(history({ at: T0, broadcasts: 500 }, { at: T0 + 1000, broadcasts: 3 }))!;
    expect(o.self.rates.broadcastsPerSec).toBeNull();
  });

  it('several nodes: this node first and marked, others by name, cluster totals', () => {
    const remote = (node: string, at: number, over: StatsOverrides = {}) => statsPayload({ node, at, ...over });
    const o = selectOperatorOverview(
      history(
        {
          node: 'm',
          at: T0,
          broadcasts: 100,
          nodes: [remote('z', T0 - 400, { broadcasts: 50, bound: 10, anonymous: 1 }), remote('a', T0 - 200, { broadcasts: 7 })],
        },
        {
          node: 'm',
          at: T0 + 1000,
          broadcasts: 102,
          users: 90,
          nodes: [
            // z has not reported since: same figures again (its rate comes from its previous, older report).
            remote('z', T0 - 400, { broadcasts: 50, bound: 10, anonymous: 1 }),
            remote('a', T0 + 800, { broadcasts: 11, users: 91, slow: 2 }),
          ],
        },
      ),
    )!;
    expect(o.nodes.map((n) => [n.figures.node, n.isSelf])).toEqual([
      ['m', true],
      ['a', false],
      ['z', false],
    ]);
    const [m, a, z] = o.nodes;
    expect(m.rates.broadcastsPerSec).toBe(2);
    expect(a.rates.broadcastsPerSec).toBe(4);
    expect(z.rates.broadcastsPerSec).toBeNull();
    expect(z.lagMs).toBe(1400);
    expect(a.lagMs).toBe(200);
    expect(o.cluster!.pongsPerSec).toBeCloseTo(1523.4 * 3, 6);
    expect({ ...o.cluster, pongsPerSec: 0 }).toEqual({
      nodeCount: 3,
      connectionsBound: 250,
      connectionsAnonymous: 7,
      connections: 257,
      usersOnline: 91,
      pongsPerSec: 0,
      broadcastsPerSec: 6,
      bytesInPerSec: 0,
      bytesOutPerSec: 0,
      slowConsumers: 2,
      sessions: { polling: 6, websocket: 363 },
    });
  });

  it('stays memoized while no push comes in', () => {
    const state = history({ at: T0 }, { at: T0 + 1000 });
    expect(selectOperatorOverview(state)).toBe(selectOperatorOverview({ operator: state.operator }));
  });

  it('chart series: this node over the last two minutes, ending at the latest sample', () => {
    const pushes: StatsOverrides[] = [];
    for (let i = 0; i < 130; i++) pushes.push({ at: T0 + i * 1000, pongs: i, bound: 100 + i, anonymous: 1 });
    const s = selectChartSeries(history(...pushes))!;
    expect(s.end).toBe(T0 + 129_000);
    expect(s.pongs.length).toBe(CHART_WINDOW_MS / 1000 + 1);
    expect(s.pongs[0]).toEqual({ t: T0 + 9000, v: 9 });
    expect(s.pongs.at(-1)).toEqual({ t: T0 + 129_000, v: 129 });
    expect(s.connections.at(-1)).toEqual({ t: T0 + 129_000, v: 230 });
  });

  it('actor rows: known kinds in order, then others; mailbox peak now and over the history', () => {
    const rows = selectActorRows(
      history(
        { at: T0, mailbox: { presence: 40, user: 1, conn: 2, store_writer: 0, redis_bridge: 0, zeta_kind: 5 } },
        { at: T0 + 1000, mailbox: { presence: 4, user: 9, conn: 2, store_writer: 0, redis_bridge: 0 } },
      ),
    );
    expect(rows.map((r) => r.kind)).toEqual(['presence', 'user', 'conn', 'store_writer', 'redis_bridge']);
    expect(rows[0]).toEqual({ kind: 'presence', label: 'Presence', live: 1, peak: 4, peakRecent: 40 });
    expect(rows[1]).toMatchObject({ kind: 'user', live: 87, peak: 9, peakRecent: 9 });
    expect(kindLabel('store_writer')).toBe('Store writer');
    expect(kindLabel('http_pool')).toBe('Http pool');
  });
});
