import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  Injector,
  afterNextRender,
  computed,
  effect,
  inject,
  input,
  signal,
  untracked,
} from '@angular/core';
import { FormControl, FormGroup, ReactiveFormsModule } from '@angular/forms';
import { RouterLink } from '@angular/router';
import { Store } from '@ngrx/store';
import { throttleMessage } from '../../core/api-errors';
import { sessionActions } from '../../state/session/session.actions';
import { selectSession } from '../../state/session/session.selectors';

type Mode = 'login' | 'register';
type Field = 'username' | 'email' | 'password';

const REQUIRED = 'This field is required.';

/** Login and register forms (one component, `mode` from the route data). */
@Component({
  selector: 'app-auth-page',
  imports: [ReactiveFormsModule, RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './auth.page.html',
})
export class AuthPage {
  readonly mode = input<Mode>('login');

  private readonly store = inject(Store);
  private readonly host = inject(ElementRef<HTMLElement>);
  private readonly injector = inject(Injector);
  private readonly session = this.store.selectSignal(selectSession);

  protected readonly form = new FormGroup({
    username: new FormControl('', { nonNullable: true }),
    email: new FormControl('', { nonNullable: true }),
    password: new FormControl('', { nonNullable: true }),
  });
  protected readonly showPassword = signal(false);
  /** Errors found before sending (empty fields). */
  private readonly localErrors = signal<Partial<Record<Field, string[]>>>({});
  /** Fields edited since the server's errors came: their messages are hidden. */
  private readonly edited = signal<ReadonlySet<string>>(new Set());
  private readonly now = signal(Date.now());

  protected readonly isRegister = computed(() => this.mode() === 'register');
  protected readonly busy = computed(() => this.session().status === 'authenticating');
  protected readonly notice = computed(() => this.session().notice);
  private readonly serverErrors = computed(() => this.session().errors);
  protected readonly throttleLeft = computed(() => {
    const until = this.serverErrors()?.throttledUntil;
    return until ? Math.max(0, Math.ceil((until - this.now()) / 1000)) : 0;
  });

  /** Messages shown above the fields: non-field errors, and errors of fields this form does not show. */
  protected readonly formErrors = computed(() => {
    const errors = this.serverErrors();
    if (!errors) return [];
    if (errors.throttledUntil) return this.throttleLeft() > 0 ? [throttleMessage(this.throttleLeft())] : [];
    const shown = new Set<string>(this.fieldsInMode());
    const extra = Object.entries(errors.fields)
      .filter(([k]) => !shown.has(k))
      .flatMap(([k, msgs]) => msgs.map((m) => `${k.replace(/_/g, ' ')}: ${m}`));
    return [...errors.nonField, ...extra];
  });

  constructor() {
    // Switching between login and register starts clean.
    effect(() => {
      this.mode();
      untracked(() => {
        this.localErrors.set({});
        this.store.dispatch(sessionActions.errorsCleared());
      });
    });
    // New server errors: show every field's messages again and move focus to the first problem.
    effect(() => {
      const errors = this.serverErrors();
      untracked(() => {
        this.edited.set(new Set());
        if (errors) this.focusFirstProblemAfterRender();
      });
    });
    // Tick the "try again in N s" countdown while throttled.
    const timer = setInterval(() => {
      if (this.serverErrors()?.throttledUntil) this.now.set(Date.now());
    }, 1000);
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
  }

  protected fieldErrors(field: Field): string[] | null {
    const local = this.localErrors()[field];
    if (local?.length) return local;
    if (this.edited().has(field)) return null;
    const server = this.serverErrors()?.fields[field];
    return server?.length ? server : null;
  }

  protected onEdit(field: Field): void {
    if (this.localErrors()[field]) {
      const { [field]: _, ...rest } = this.localErrors();
      this.localErrors.set(rest);
    }
    if (!this.edited().has(field)) this.edited.set(new Set([...this.edited(), field]));
  }

  protected submit(): void {
    if (this.busy() || this.throttleLeft() > 0) return;
    const v = this.form.getRawValue();
    const missing: Partial<Record<Field, string[]>> = {};
    for (const f of this.fieldsInMode()) {
      if (!v[f].trim()) missing[f] = [REQUIRED];
    }
    if (this.isRegister() && v.email.trim() && !/^[^\s@]+@[^\s@]+$/.test(v.email.trim())) {
      missing.email = ['Enter a valid email address.'];
    }
    this.localErrors.set(missing);
    if (Object.keys(missing).length) {
      this.focusFirstProblemAfterRender();
      return;
    }
    const username = v.username.trim();
    if (this.isRegister()) {
      this.store.dispatch(sessionActions.registerSubmitted({ username, email: v.email.trim(), password: v.password }));
    } else {
      this.store.dispatch(sessionActions.loginSubmitted({ username, password: v.password }));
    }
  }

  private fieldsInMode(): Field[] {
    return this.isRegister() ? ['username', 'email', 'password'] : ['username', 'password'];
  }

  /** Once the error messages are on screen, move focus to the first field in error (or the form alert). */
  private focusFirstProblemAfterRender(): void {
    afterNextRender({ read: () => this.focusFirstProblem() }, { injector: this.injector });
  }

  private focusFirstProblem(): void {
    const root = this.host.nativeElement as HTMLElement;
    const target =
      root.querySelector<HTMLElement>('input[aria-invalid="true"]') ?? root.querySelector<HTMLElement>('[data-form-errors]');
    target?.focus();
  }
}
