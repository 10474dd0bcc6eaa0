/** `server-action:stats` payloads for tests (the wire shape of CONTRACT.md). */
export interface StatsOverrides {
  node?: string;
  at?: number;
  bound?: number;
  anonymous?: number;
  users?: number;
  pongs?: number;
  broadcasts?: number;
  bytesIn?: number;
  bytesOut?: number;
  slow?: number;
  mailbox?: Record<string, number>;
  nodes?: unknown[];
}

export function statsPayload(o: StatsOverrides = {}): Record<string, unknown> {
  const payload: Record<string, unknown> = {
    node: o.node ?? 'node-a',
    at: o.at ?? 1_764_000_000_000,
    connections: { anonymous: o.anonymous ?? 3, bound: o.bound ?? 120 },
    users_online: o.users ?? 87,
    pongs_per_s: o.pongs ?? 1523.4,
    broadcasts: o.broadcasts ?? 4021,
    actors: { presence: 1, user: 87, conn: 123, store_writer: 1, redis_bridge: 0 },
    mailbox_high_water: o.mailbox ?? { presence: 4, user: 1, conn: 2, store_writer: 0, redis_bridge: 0 },
    extra: {
      sessions: { polling: 2, websocket: 121 },
      bytes_in: o.bytesIn ?? 123_456,
      bytes_out: o.bytesOut ?? 999_999,
      slow_consumers: o.slow ?? 0,
    },
  };
  if (o.nodes) payload['nodes'] = o.nodes;
  return payload;
}
