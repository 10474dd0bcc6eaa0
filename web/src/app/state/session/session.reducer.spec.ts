import { sessionActions } from './session.actions';
import { SessionState, initialSessionState, sessionFeature } from './session.reducer';
import { alice } from '../../../testing/fixtures';

const reduce = sessionFeature.reducer;
const authed: SessionState = { ...initialSessionState, user: alice, token: 't1', status: 'authenticated' };

describe('session reducer', () => {
  it('starts unknown', () => {
    expect(reduce(undefined, { type: '@@init' })).toEqual(initialSessionState);
    expect(initialSessionState.status).toBe('unknown');
  });

  it('Restore Started keeps the token and marks restoring', () => {
    const s = reduce(initialSessionState, sessionActions.restoreStarted({ token: 't1' }));
    expect(s).toMatchObject({ token: 't1', status: 'restoring', user: null });
  });

  it('Restore Succeeded sets the user when a token is held', () => {
    const restoring = reduce(initialSessionState, sessionActions.restoreStarted({ token: 't1' }));
    const s = reduce(restoring, sessionActions.restoreSucceeded({ user: alice }));
    expect(s).toMatchObject({ user: alice, token: 't1', status: 'authenticated' });
    // …and is ignored when the session was dropped meanwhile.
    const anon = reduce(initialSessionState, sessionActions.noSession());
    expect(reduce(anon, sessionActions.restoreSucceeded({ user: alice }))).toBe(anon);
  });

  it('No Session → anonymous', () => {
    expect(reduce(initialSessionState, sessionActions.noSession()).status).toBe('anonymous');
  });

  it('Login/Register Submitted → authenticating, errors and notice cleared', () => {
    const before: SessionState = {
      ...initialSessionState,
      status: 'anonymous',
      errors: { fields: {}, nonField: ['x'] },
      notice: 'n',
    };
    for (const a of [
      sessionActions.loginSubmitted({ username: 'a', password: 'p' }),
      sessionActions.registerSubmitted({ username: 'a', email: 'e@x', password: 'p' }),
    ]) {
      expect(reduce(before, a)).toMatchObject({ status: 'authenticating', errors: null, notice: null });
    }
  });

  it('Login/Register Succeeded → authenticated with user and token', () => {
    for (const a of [
      sessionActions.loginSucceeded({ user: alice, token: 't2' }),
      sessionActions.registerSucceeded({ user: alice, token: 't2' }),
    ]) {
      expect(reduce({ ...initialSessionState, status: 'authenticating' }, a)).toMatchObject({
        user: alice,
        token: 't2',
        status: 'authenticated',
        errors: null,
      });
    }
  });

  it('Login/Register Failed → anonymous with the errors', () => {
    const errors = { fields: { username: ['A user with that username already exists.'] }, nonField: [] };
    for (const a of [sessionActions.loginFailed({ errors }), sessionActions.registerFailed({ errors })]) {
      expect(reduce({ ...initialSessionState, status: 'authenticating' }, a)).toMatchObject({
        status: 'anonymous',
        errors,
        user: null,
        token: null,
      });
    }
  });

  it('Logout Requested clears everything at once', () => {
    expect(reduce(authed, sessionActions.logoutRequested())).toEqual({ ...initialSessionState, status: 'anonymous' });
  });

  it('Logout Completed changes nothing', () => {
    const anon = reduce(authed, sessionActions.logoutRequested());
    expect(reduce(anon, sessionActions.logoutCompleted({ ok: false }))).toBe(anon);
  });

  it('Unauthorized clears a live or restoring session with a notice, and is a no-op otherwise', () => {
    const s = reduce(authed, sessionActions.unauthorized());
    expect(s).toMatchObject({ user: null, token: null, status: 'anonymous' });
    expect(s.notice).toContain('session has ended');
    const restoring = reduce(initialSessionState, sessionActions.restoreStarted({ token: 't' }));
    expect(reduce(restoring, sessionActions.unauthorized()).status).toBe('anonymous');
    const anon = reduce(initialSessionState, sessionActions.noSession());
    expect(reduce(anon, sessionActions.unauthorized())).toBe(anon);
  });

  it('Logged Out Remotely clears an authenticated session with a reason-specific notice', () => {
    const s = reduce(authed, sessionActions.loggedOutRemotely({ reason: 'logout' }));
    expect(s).toMatchObject({ user: null, token: null, status: 'anonymous' });
    expect(s.notice).toContain('another tab');
    expect(reduce(authed, sessionActions.loggedOutRemotely({ reason: 'token_expired' })).notice).toContain('expired');
    const anon = reduce(initialSessionState, sessionActions.noSession());
    expect(reduce(anon, sessionActions.loggedOutRemotely({ reason: 'logout' }))).toBe(anon);
  });

  it('Verify Requested changes nothing by itself', () => {
    expect(reduce(authed, sessionActions.verifyRequested())).toBe(authed);
  });

  it('Errors Cleared drops form errors but keeps the notice', () => {
    const s: SessionState = { ...initialSessionState, status: 'anonymous', errors: { fields: {}, nonField: ['x'] }, notice: 'n' };
    expect(reduce(s, sessionActions.errorsCleared())).toMatchObject({ errors: null, notice: 'n' });
    const clean = { ...s, errors: null };
    expect(reduce(clean, sessionActions.errorsCleared())).toBe(clean);
  });
});
