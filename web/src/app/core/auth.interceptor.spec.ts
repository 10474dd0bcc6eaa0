import { HttpClient, provideHttpClient, withInterceptors } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Store } from '@ngrx/store';
import { sessionActions } from '../state/session/session.actions';
import { authInterceptor, isApiUrl } from './auth.interceptor';
import { TOKEN_KEY } from './token-storage';

describe('authInterceptor', () => {
  let http: HttpClient;
  let ctrl: HttpTestingController;
  const dispatch = vi.fn();

  beforeEach(() => {
    localStorage.clear();
    dispatch.mockReset();
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(withInterceptors([authInterceptor])),
        provideHttpClientTesting(),
        { provide: Store, useValue: { dispatch } },
      ],
    });
    http = TestBed.inject(HttpClient);
    ctrl = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
    ctrl.verify();
    localStorage.clear();
  });

  it('adds Authorization: Token <t> to API calls', () => {
    localStorage.setItem(TOKEN_KEY, 'abc');
    http.get('/api/me/').subscribe();
    const req = ctrl.expectOne('/api/me/');
    expect(req.request.headers.get('Authorization')).toBe('Token abc');
    req.flush({});
  });

  it('adds nothing without a token, to non-API URLs, or to login/register', () => {
    http.get('/api/me/').subscribe({ error: () => {} });
    const first = ctrl.expectOne('/api/me/');
    expect(first.request.headers.has('Authorization')).toBe(false);
    first.flush({});
    localStorage.setItem(TOKEN_KEY, 'abc');
    http.get('/assets/x.json').subscribe();
    http.post('/api-token-auth/', {}).subscribe();
    http.post('/api/register/', {}).subscribe();
    http.get('https://elsewhere.example/api/me/').subscribe();
    for (const url of ['/assets/x.json', '/api-token-auth/', '/api/register/', 'https://elsewhere.example/api/me/']) {
      const r = ctrl.expectOne(url);
      expect(r.request.headers.has('Authorization')).toBe(false);
      r.flush({});
    }
  });

  it('leaves an explicit Authorization header alone', () => {
    localStorage.setItem(TOKEN_KEY, 'abc');
    http.post('/api/logout/', null, { headers: { Authorization: 'Token old' } }).subscribe();
    const req = ctrl.expectOne('/api/logout/');
    expect(req.request.headers.get('Authorization')).toBe('Token old');
    req.flush(null, { status: 204, statusText: 'No Content' });
  });

  it('turns a 401 from an API call into Unauthorized (clean logout), and passes the error on', () => {
    localStorage.setItem(TOKEN_KEY, 'dead');
    let failed = false;
    http.get('/api/users/online/').subscribe({ error: () => (failed = true) });
    ctrl.expectOne('/api/users/online/').flush({ detail: 'Invalid token.' }, { status: 401, statusText: 'Unauthorized' });
    expect(failed).toBe(true);
    expect(dispatch).toHaveBeenCalledWith(sessionActions.unauthorized());
  });

  it('does not log out on a 401 from the logout call or on other errors', () => {
    localStorage.setItem(TOKEN_KEY, 'dead');
    http.post('/api/logout/', null).subscribe({ error: () => {} });
    ctrl.expectOne('/api/logout/').flush({ detail: 'Invalid token.' }, { status: 401, statusText: 'Unauthorized' });
    http.get('/api/me/').subscribe({ error: () => {} });
    ctrl.expectOne('/api/me/').flush({}, { status: 500, statusText: 'Server Error' });
    expect(dispatch).not.toHaveBeenCalled();
  });

  it('isApiUrl', () => {
    expect(isApiUrl('/api/me/')).toBe(true);
    expect(isApiUrl('/api-token-auth/')).toBe(true);
    expect(isApiUrl('/apix/')).toBe(false);
    expect(isApiUrl(`${location.origin}/api/me/`)).toBe(true);
    expect(isApiUrl('//evil.example/api/me/')).toBe(false);
  });
});
