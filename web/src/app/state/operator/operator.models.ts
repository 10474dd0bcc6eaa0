/**
 * The operator figures (`server-action:stats`, see CONTRACT.md) as the SPA keeps them: the wire payload,
 * checked and flattened into numbers, one `NodeFigures` per node and one `StatsSample` per push.
 */

/** One node's figures at one instant (`at`, the server's unix ms). Counters are totals since the node started. */
export interface NodeFigures {
  node: string;
  at: number;
  connectionsBound: number;
  connectionsAnonymous: number;
  usersOnline: number;
  pongsPerSec: number;
  /** Counter: updates broadcast since start. */
  broadcasts: number;
  /** Live actors by kind (presence, user, conn, store_writer, redis_bridge, …). */
  actors: Readonly<Record<string, number>>;
  /** Highest mailbox backlog by kind over the last second. */
  mailboxHighWater: Readonly<Record<string, number>>;
  /** Engine.IO sessions by transport (polling, websocket); empty when the server does not say. */
  sessions: Readonly<Record<string, number>>;
  /** Counters (bytes since start); null when the server does not report them. */
  bytesIn: number | null;
  bytesOut: number | null;
  slowConsumers: number | null;
}

/** One `server-action:stats` push: this node's figures and the other nodes' latest (empty on a single node). */
export interface StatsSample {
  /** When the SPA received it (client clock, ms): for staleness. */
  receivedAt: number;
  self: NodeFigures;
  others: readonly NodeFigures[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function counts(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!isObject(v)) return out;
  for (const key of Object.keys(v).sort()) {
    const n = num(v[key]);
    if (n !== null) out[key] = n;
  }
  return out;
}

/** The figures of one node from its wire object; null when it is not one (no node name or time). */
export function parseNodeFigures(raw: unknown): NodeFigures | null {
  if (!isObject(raw)) return null;
  const node = raw['node'];
  const at = num(raw['at']);
  if (typeof node !== 'string' || node === '' || at === null) return null;
  const conns = isObject(raw['connections']) ? raw['connections'] : {};
  const extra = isObject(raw['extra']) ? raw['extra'] : {};
  return {
    node,
    at,
    connectionsBound: num(conns['bound']) ?? 0,
    connectionsAnonymous: num(conns['anonymous']) ?? 0,
    usersOnline: num(raw['users_online']) ?? 0,
    pongsPerSec: num(raw['pongs_per_s']) ?? 0,
    broadcasts: num(raw['broadcasts']) ?? 0,
    actors: counts(raw['actors']),
    mailboxHighWater: counts(raw['mailbox_high_water']),
    sessions: counts(extra['sessions']),
    bytesIn: num(extra['bytes_in']),
    bytesOut: num(extra['bytes_out']),
    slowConsumers: num(extra['slow_consumers']),
  };
}

/** A whole push; null when the payload is not usable. Other nodes that do not parse are left out. */
export function parseStats(raw: unknown, receivedAt: number): StatsSample | null {
  const self = parseNodeFigures(raw);
  if (!self) return null;
  const list = isObject(raw) && Array.isArray(raw['nodes']) ? raw['nodes'] : [];
  const others = list
    .map(parseNodeFigures)
    .filter((n): n is NodeFigures => n !== null && n.node !== self.node)
    .sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return { receivedAt, self, others };
}

/** Total connections of a node (bound + anonymous). */
export const totalConnections = (n: NodeFigures): number => n.connectionsBound + n.connectionsAnonymous;
