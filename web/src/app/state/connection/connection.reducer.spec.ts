import { sessionActions } from '../session/session.actions';
import { connectionActions } from './connection.actions';
import { connectionFeature, initialConnectionState } from './connection.reducer';

const reduce = connectionFeature.reducer;

describe('connection reducer', () => {
  it('Status Changed', () => {
    const s = reduce(
      initialConnectionState,
      connectionActions.statusChanged({ status: 'connected', socketId: 'abc', attempt: 0, reason: null }),
    );
    expect(s).toMatchObject({ status: 'connected', socketId: 'abc' });
  });

  it('Ping Received records the last ping', () => {
    const s = reduce(initialConnectionState, connectionActions.pingReceived({ seq: 3, ts: 10, at: 20 }));
    expect(s.lastPing).toEqual({ seq: 3, ts: 10, at: 20 });
  });

  it('Stats Received keeps the latest stats; logout forgets them', () => {
    const s = reduce(initialConnectionState, connectionActions.statsReceived({ stats: { sockets: 2 }, at: 5 }));
    expect(s).toMatchObject({ stats: { sockets: 2 }, statsAt: 5 });
    expect(reduce(s, sessionActions.logoutRequested())).toMatchObject({ stats: null, statsAt: null });
    expect(reduce(s, sessionActions.unauthorized()).stats).toBeNull();
    expect(reduce(s, sessionActions.loggedOutRemotely({ reason: 'logout' })).stats).toBeNull();
  });

  it('Server Error keeps the last error; Rejected changes nothing', () => {
    const s = reduce(initialConnectionState, connectionActions.serverError({ code: 'invalid_token', message: 'm' }));
    expect(s.lastError).toEqual({ code: 'invalid_token', message: 'm' });
    expect(reduce(s, connectionActions.rejected({ message: 'invalid token' }))).toBe(s);
  });
});
