import { TestBed } from '@angular/core/testing';
import { ActivatedRouteSnapshot, Router, RouterStateSnapshot, UrlTree, provideRouter } from '@angular/router';
import { Store, provideStore } from '@ngrx/store';
import { Observable, firstValueFrom } from 'rxjs';
import { alice } from '../testing/fixtures';
import { staffGuard } from './guards';
import { sessionActions } from './state/session/session.actions';
import { sessionFeature } from './state/session/session.reducer';

describe('staffGuard', () => {
  let store: Store;
  let router: Router;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideRouter([]), provideStore({ [sessionFeature.name]: sessionFeature.reducer })],
    });
    store = TestBed.inject(Store);
    router = TestBed.inject(Router);
  });

  const run = () =>
    TestBed.runInInjectionContext(
      () => staffGuard({} as ActivatedRouteSnapshot, { url: '/operator' } as RouterStateSnapshot) as Observable<boolean | UrlTree>,
    );
  const url = (r: boolean | UrlTree) => (r instanceof UrlTree ? router.serializeUrl(r) : r);

  it('lets a staff user in', async () => {
    store.dispatch(sessionActions.loginSucceeded({ user: { ...alice, is_staff: true }, token: 't' }));
    expect(url(await firstValueFrom(run()))).toBe(true);
  });

  it('sends a signed-in user who is not staff to /', async () => {
    store.dispatch(sessionActions.loginSucceeded({ user: alice, token: 't' }));
    expect(url(await firstValueFrom(run()))).toBe('/');
    store.dispatch(sessionActions.loginSucceeded({ user: { ...alice, is_staff: false }, token: 't' }));
    expect(url(await firstValueFrom(run()))).toBe('/');
  });

  it('sends an anonymous visitor to the login form', async () => {
    store.dispatch(sessionActions.noSession());
    expect(url(await firstValueFrom(run()))).toBe('/login');
  });

  it('waits while the session is being restored, then decides', async () => {
    store.dispatch(sessionActions.restoreStarted({ token: 't' }));
    const seen: Array<boolean | string> = [];
    const sub = run().subscribe((r) => seen.push(url(r)));
    expect(seen).toEqual([]);
    store.dispatch(sessionActions.restoreSucceeded({ user: { ...alice, is_staff: true } }));
    expect(seen).toEqual([true]);
    sub.unsubscribe();
  });

  it('a restore that ends in a non-staff user goes to /', async () => {
    store.dispatch(sessionActions.restoreStarted({ token: 't' }));
    const result = firstValueFrom(run());
    store.dispatch(sessionActions.restoreSucceeded({ user: alice }));
    expect(url(await result)).toBe('/');
  });
});
