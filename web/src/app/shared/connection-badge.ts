import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { ConnectionStatus } from '../core/presence-socket';

const HINTS: Record<ConnectionStatus, string> = {
  connected: 'Live updates are on',
  reconnecting: 'Connection lost, reconnecting',
  offline: 'Not connected to the server',
};

/** The connection badge; its text is exactly `connected`, `reconnecting` or `offline`. */
@Component({
  selector: 'app-connection-badge',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `<span
    class="badge"
    [attr.data-state]="status()"
    data-testid="connection-status"
    role="status"
    [attr.title]="hint()"
    >{{ status() }}</span
  >`,
})
export class ConnectionBadge {
  readonly status = input.required<ConnectionStatus>();
  protected readonly hint = computed(() => HINTS[this.status()]);
}
