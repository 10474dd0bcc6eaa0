import { createFeatureSelector, createSelector } from '@ngrx/store';
import { NodeFigures, StatsSample, totalConnections } from './operator.models';
import { OperatorState } from './operator.reducer';

/** What the live chart spans (ms). */
export const CHART_WINDOW_MS = 120_000;

/** Per-second rates derived from two successive counters of one node; null when they cannot be derived. */
export interface NodeRates {
  broadcastsPerSec: number | null;
  bytesInPerSec: number | null;
  bytesOutPerSec: number | null;
  /** Broadcasts per second over the last minute (or as much of it as the history holds): steadier. */
  broadcastsPerSecMinute: number | null;
}

/** The span of the steadier average rates. */
export const AVERAGE_WINDOW_MS = 60_000;

export interface NodeView {
  figures: NodeFigures;
  rates: NodeRates;
  /** The node this browser's socket is on. */
  isSelf: boolean;
  connections: number;
  /** Highest mailbox backlog over all actor kinds, last second. */
  mailboxPeak: number;
  /** How far this node's latest figures are behind this node's (ms, ≥ 0). */
  lagMs: number;
}

/** Sums over the nodes (users online is the largest figure: presence is global, every node lists everyone). */
export interface ClusterTotals {
  nodeCount: number;
  connectionsBound: number;
  connectionsAnonymous: number;
  connections: number;
  usersOnline: number;
  pongsPerSec: number;
  broadcastsPerSec: number | null;
  bytesInPerSec: number | null;
  bytesOutPerSec: number | null;
  slowConsumers: number | null;
  sessions: Readonly<Record<string, number>>;
}

export interface OperatorOverview {
  self: NodeView;
  /** This node first, then the others by name. */
  nodes: readonly NodeView[];
  /** Only with several nodes. */
  cluster: ClusterTotals | null;
  /** When the latest push arrived (client clock). */
  receivedAt: number;
}

export interface ChartPoint {
  /** Server time, unix ms. */
  t: number;
  v: number;
}

export interface ChartSeries {
  /** The right edge of the chart: the latest sample's server time. */
  end: number;
  pongs: readonly ChartPoint[];
  connections: readonly ChartPoint[];
}

export interface ActorRow {
  kind: string;
  label: string;
  live: number;
  /** Mailbox high-water mark, last second. */
  peak: number;
  /** The highest of those over the history kept (about 2.5 minutes). */
  peakRecent: number;
}

/** A counter's rate between two figures of one node; null on a reset, a missing counter or no time elapsed. */
export function counterRate(prev: number | null | undefined, cur: number | null | undefined, prevAt: number, curAt: number): number | null {
  if (prev === null || prev === undefined || cur === null || cur === undefined) return null;
  const dt = (curAt - prevAt) / 1000;
  if (!(dt > 0) || cur < prev) return null;
  return (cur - prev) / dt;
}

/** Samples looked back through to find a node's previous figures (a node silent for longer is gone). */
const LOOKBACK = 10;

/** The figures of `node` reported before `before` (server ms), from the newest samples backwards. */
export function previousFigures(samples: readonly StatsSample[], node: string, before: number): NodeFigures | null {
  for (let i = samples.length - 1, seen = 0; i >= 0 && seen < LOOKBACK; i--, seen++) {
    const s = samples[i];
    const f = s.self.node === node ? s.self : s.others.find((o) => o.node === node);
    if (f && f.at < before) return f;
  }
  return null;
}

/** The oldest figures of `node` in the history that are no older than `since` (server ms). */
export function oldestFiguresSince(samples: readonly StatsSample[], node: string, since: number): NodeFigures | null {
  for (const s of samples) {
    const f = s.self.node === node ? s.self : s.others.find((o) => o.node === node);
    if (f && f.at >= since) return f;
  }
  return null;
}

export function nodeRates(samples: readonly StatsSample[], f: NodeFigures): NodeRates {
  const p = previousFigures(samples, f.node, f.at);
  const old = oldestFiguresSince(samples, f.node, f.at - AVERAGE_WINDOW_MS);
  return {
    broadcastsPerSec: p && counterRate(p.broadcasts, f.broadcasts, p.at, f.at),
    bytesInPerSec: p && counterRate(p.bytesIn, f.bytesIn, p.at, f.at),
    bytesOutPerSec: p && counterRate(p.bytesOut, f.bytesOut, p.at, f.at),
    broadcastsPerSecMinute: old && counterRate(old.broadcasts, f.broadcasts, old.at, f.at),
  };
}

const maxOf = (r: Readonly<Record<string, number>>): number => Object.values(r).reduce((m, v) => Math.max(m, v), 0);

function nodeView(samples: readonly StatsSample[], f: NodeFigures, self: NodeFigures): NodeView {
  return {
    figures: f,
    rates: nodeRates(samples, f),
    isSelf: f.node === self.node,
    connections: totalConnections(f),
    mailboxPeak: maxOf(f.mailboxHighWater),
    lagMs: Math.max(0, self.at - f.at),
  };
}

/** Sum of the values that are known; null when none is. */
function sumKnown(values: ReadonlyArray<number | null>): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length ? known.reduce((a, b) => a + b, 0) : null;
}

export function clusterTotals(nodes: readonly NodeView[]): ClusterTotals {
  const sessions: Record<string, number> = {};
  for (const n of nodes) {
    for (const [k, v] of Object.entries(n.figures.sessions)) sessions[k] = (sessions[k] ?? 0) + v;
  }
  const sum = (pick: (n: NodeView) => number) => nodes.reduce((a, n) => a + pick(n), 0);
  return {
    nodeCount: nodes.length,
    connectionsBound: sum((n) => n.figures.connectionsBound),
    connectionsAnonymous: sum((n) => n.figures.connectionsAnonymous),
    connections: sum((n) => n.connections),
    usersOnline: nodes.reduce((m, n) => Math.max(m, n.figures.usersOnline), 0),
    pongsPerSec: sum((n) => n.figures.pongsPerSec),
    broadcastsPerSec: sumKnown(nodes.map((n) => n.rates.broadcastsPerSec)),
    bytesInPerSec: sumKnown(nodes.map((n) => n.rates.bytesInPerSec)),
    bytesOutPerSec: sumKnown(nodes.map((n) => n.rates.bytesOutPerSec)),
    slowConsumers: sumKnown(nodes.map((n) => n.figures.slowConsumers)),
    sessions,
  };
}

export const selectOperator = createFeatureSelector<OperatorState>('operator');
export const selectOperatorSamples = createSelector(selectOperator, (s) => s.samples);
export const selectLatestSample = createSelector(selectOperatorSamples, (s) => s.at(-1) ?? null);

/** The figures the page shows: this node, each node, the cluster total. Null before the first push. */
export const selectOperatorOverview = createSelector(selectOperatorSamples, (samples): OperatorOverview | null => {
  const last = samples.at(-1);
  if (!last) return null;
  const self = nodeView(samples, last.self, last.self);
  const nodes = [self, ...last.others.map((o) => nodeView(samples, o, last.self))];
  return { self, nodes, cluster: last.others.length ? clusterTotals(nodes) : null, receivedAt: last.receivedAt };
});

/** This node's pongs/s and connections over the last CHART_WINDOW_MS. */
export const selectChartSeries = createSelector(selectOperatorSamples, (samples): ChartSeries | null => {
  const last = samples.at(-1);
  if (!last) return null;
  const end = last.self.at;
  const inWindow = samples.filter((s) => s.self.at >= end - CHART_WINDOW_MS);
  return {
    end,
    pongs: inWindow.map((s) => ({ t: s.self.at, v: s.self.pongsPerSec })),
    connections: inWindow.map((s) => ({ t: s.self.at, v: totalConnections(s.self) })),
  };
});

const KIND_ORDER = ['presence', 'user', 'conn', 'store_writer', 'redis_bridge'];
const KIND_LABELS: Record<string, string> = {
  presence: 'Presence',
  user: 'User',
  conn: 'Connection',
  store_writer: 'Store writer',
  redis_bridge: 'Redis bridge',
};

export function kindLabel(kind: string): string {
  const known = KIND_LABELS[kind];
  if (known) return known;
  const words = kind.replace(/[_-]+/g, ' ').trim();
  return words ? words[0].toUpperCase() + words.slice(1) : kind;
}

/** This node's actors by kind (known kinds in a fixed order, then any other by name), with mailbox peaks. */
export const selectActorRows = createSelector(selectOperatorSamples, (samples): ActorRow[] => {
  const last = samples.at(-1);
  if (!last) return [];
  const f = last.self;
  const kinds = [...new Set([...Object.keys(f.actors), ...Object.keys(f.mailboxHighWater)])].sort((a, b) => {
    const ia = KIND_ORDER.indexOf(a);
    const ib = KIND_ORDER.indexOf(b);
    if (ia !== ib) return (ia < 0 ? KIND_ORDER.length : ia) - (ib < 0 ? KIND_ORDER.length : ib);
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return kinds.map((kind) => ({
    kind,
    label: kindLabel(kind),
    live: f.actors[kind] ?? 0,
    peak: f.mailboxHighWater[kind] ?? 0,
    peakRecent: samples.reduce((m, s) => Math.max(m, s.self.mailboxHighWater[kind] ?? 0), 0),
  }));
});
