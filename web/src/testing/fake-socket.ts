import { RawSocket } from '../app/core/presence-socket';

type Handler = (...args: any[]) => void;

class Emitter {
  private readonly handlers = new Map<string, Handler[]>();
  on(event: string, fn: Handler) {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), fn]);
    return this;
  }
  off(event: string, fn?: Handler) {
    this.handlers.set(event, fn ? (this.handlers.get(event) ?? []).filter((h) => h !== fn) : []);
    return this;
  }
  /** Delivers an event to the listeners (what the server or the Manager would do). */
  fire(event: string, ...args: unknown[]) {
    for (const h of this.handlers.get(event) ?? []) h(...args);
  }
  count(event: string) {
    return (this.handlers.get(event) ?? []).length;
  }
}

/** A stand-in for socket.io-client's Socket (and its Manager): records emits, lets tests fire events. */
export class FakeRawSocket extends Emitter implements RawSocket {
  id: string | undefined = undefined;
  active = false;
  connected = false;
  recovered = false;
  auth: unknown = undefined;
  readonly io = new Emitter();
  readonly emitted: Array<[string, ...unknown[]]> = [];
  connectCalls = 0;

  override on(event: string, fn: Handler) {
    return super.on(event, fn);
  }
  emit(event: string, ...args: unknown[]) {
    this.emitted.push([event, ...args]);
    return this;
  }
  connect() {
    this.connectCalls++;
    this.active = true;
    return this;
  }
  /** Simulates a successful CONNECT. */
  serverAccepts(id: string) {
    this.id = id;
    this.connected = true;
    this.active = true;
    this.fire('connect');
  }
  /** Simulates a CONNECT after a reconnect: a new id (or the same, recovered), then `connect`. */
  serverReconnects(id: string, recovered = false) {
    this.recovered = recovered;
    this.serverAccepts(id);
  }
  /** Simulates the transport going down while the Manager reconnects. */
  drops() {
    this.connected = false;
    this.id = undefined;
    this.fire('disconnect', 'transport close');
  }
  /** The payloads of `event` sent so far (with an ack or not). */
  sent(event: string): any[] {
    return this.emitted.filter(([e]) => e === event).map(([, p]) => p);
  }
  /**
   * Answers the oldest unanswered `event` sent with an ack callback (as the server's ack would), and
   * returns its payload. Throws when there is none: a test that expects an emit fails clearly.
   */
  answer(event: string, reply: unknown): any {
    const i = this.emitted.findIndex(([e, , cb], j) => e === event && typeof cb === 'function' && !this.answered.has(j));
    if (i < 0) throw new Error(`no unanswered ${event} with an ack (sent: ${JSON.stringify(this.sent(event))})`);
    this.answered.add(i);
    const [, payload, cb] = this.emitted[i] as [string, unknown, (r: unknown) => void];
    cb(reply);
    return payload;
  }
  private readonly answered = new Set<number>();
  /** The `ng-action` payloads sent so far. */
  ngActions(): any[] {
    return this.emitted.filter(([e]) => e === 'ng-action').map(([, p]) => p);
  }
  /** Calls the `auth` function the way socket.io-client does on each CONNECT. */
  authPayload(): Promise<object> {
    return new Promise((resolve) => {
      const a = this.auth;
      if (typeof a === 'function') a(resolve);
      else resolve(a as object);
    });
  }
}

/** ngx-socket-io's wrapper shape, as far as PresenceSocket uses it. */
export function fakeWrappedSocket(raw = new FakeRawSocket()) {
  return { ioSocket: raw, raw };
}
