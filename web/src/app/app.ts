import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { Store } from '@ngrx/store';
import { ConnectionBadge } from './shared/connection-badge';
import { selectConnectionStatus } from './state/connection/connection.selectors';
import { sessionActions } from './state/session/session.actions';
import { selectIsStaff, selectSessionPending, selectUser } from './state/session/session.selectors';

/** The shell: top bar (product, connection, who is signed in, logout) and the routed page. */
@Component({
  selector: 'app-root',
  imports: [RouterOutlet, RouterLink, RouterLinkActive, ConnectionBadge],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <a class="skip-link" href="#main">Skip to content</a>
    <header class="topbar">
      <div class="topbar__inner">
        <a class="brand" routerLink="/" aria-label="presenced, home">
          <span class="brand__mark" aria-hidden="true"></span>
          <span class="brand__name">presenced</span>
        </a>
        @if (user()) {
          <nav class="mainnav" aria-label="Main">
            <a
              class="mainnav__link"
              routerLink="/"
              routerLinkActive="mainnav__link--active"
              [routerLinkActiveOptions]="{ exact: true }"
              ariaCurrentWhenActive="page"
              data-testid="nav-online"
              >Online</a
            >
            <a
              class="mainnav__link"
              routerLink="/rooms"
              routerLinkActive="mainnav__link--active"
              ariaCurrentWhenActive="page"
              data-testid="nav-rooms"
              >Rooms</a
            >
            <a
              class="mainnav__link"
              routerLink="/people"
              routerLinkActive="mainnav__link--active"
              ariaCurrentWhenActive="page"
              data-testid="nav-people"
              >People</a
            >
          </nav>
        }
        <div class="topbar__right">
          <app-connection-badge [status]="connection()" />
          @if (user(); as u) {
            <nav class="account" aria-label="Account">
              @if (isStaff()) {
                <a
                  class="account__link"
                  routerLink="/operator"
                  routerLinkActive="account__link--active"
                  ariaCurrentWhenActive="page"
                  data-testid="operator-link"
                  >Operator</a
                >
              }
              <span class="account__who">
                <span class="account__prefix">Signed in as</span>
                <span class="account__name" data-testid="current-username">{{ u.username }}</span>
              </span>
              <button type="button" class="btn btn--quiet" data-testid="logout" (click)="logout()">Log out</button>
            </nav>
          }
        </div>
      </div>
    </header>
    <main id="main" class="page" tabindex="-1">
      @if (pending()) {
        <div class="splash" role="status" data-testid="restoring">
          <span class="spinner" aria-hidden="true"></span>
          <span>Restoring your session…</span>
        </div>
      }
      <router-outlet />
    </main>
    <footer class="footer">
      <p>presenced · live presence</p>
    </footer>
  `,
})
export class App {
  private readonly store = inject(Store);
  protected readonly user = this.store.selectSignal(selectUser);
  protected readonly isStaff = this.store.selectSignal(selectIsStaff);
  protected readonly pending = this.store.selectSignal(selectSessionPending);
  protected readonly connection = this.store.selectSignal(selectConnectionStatus);

  protected logout(): void {
    this.store.dispatch(sessionActions.logoutRequested());
  }
}
