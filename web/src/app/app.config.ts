import { provideHttpClient, withInterceptors } from '@angular/common/http';
import {
  ApplicationConfig,
  inject,
  isDevMode,
  provideAppInitializer,
  provideBrowserGlobalErrorListeners,
} from '@angular/core';
import { provideRouter, withComponentInputBinding } from '@angular/router';
import { provideEffects } from '@ngrx/effects';
import { provideStore } from '@ngrx/store';
import { provideStoreDevtools } from '@ngrx/store-devtools';
import { provideSocketIo } from 'ngx-socket-io';
import { routes } from './app.routes';
import { authInterceptor } from './core/auth.interceptor';
import { PresenceSocket } from './core/presence-socket';
import * as connectionEffects from './state/connection/connection.effects';
import * as contactsEffects from './state/contacts/contacts.effects';
import { contactsFeature } from './state/contacts/contacts.reducer';
import { connectionFeature } from './state/connection/connection.reducer';
import * as directoryEffects from './state/directory/directory.effects';
import { directoryFeature } from './state/directory/directory.reducer';
import * as onlineEffects from './state/online/online.effects';
import { onlineFeature } from './state/online/online.reducer';
import { operatorFeature } from './state/operator/operator.reducer';
import * as roomsEffects from './state/rooms/rooms.effects';
import { roomsFeature } from './state/rooms/rooms.reducer';
import * as sessionEffects from './state/session/session.effects';
import { sessionFeature } from './state/session/session.reducer';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideRouter(routes, withComponentInputBinding()),
    provideHttpClient(withInterceptors([authInterceptor])),
    // Same origin, path /websocket/, default transports (polling first, then the upgrade to websocket) and
    // default reconnection (forever, 1–5 s backoff). autoConnect is off only so that PresenceSocket can set
    // the `auth` function before the first CONNECT; it connects at app start (below).
    provideSocketIo({ url: '', options: { path: '/websocket/', autoConnect: false } }),
    provideStore({
      [sessionFeature.name]: sessionFeature.reducer,
      [onlineFeature.name]: onlineFeature.reducer,
      [connectionFeature.name]: connectionFeature.reducer,
      [operatorFeature.name]: operatorFeature.reducer,
      [roomsFeature.name]: roomsFeature.reducer,
      [contactsFeature.name]: contactsFeature.reducer,
      [directoryFeature.name]: directoryFeature.reducer,
    }),
    provideEffects(sessionEffects, onlineEffects, connectionEffects, roomsEffects, contactsEffects, directoryEffects),
    provideStoreDevtools({ maxAge: 50, logOnly: !isDevMode(), connectInZone: false }),
    provideAppInitializer(() => inject(PresenceSocket).start()),
  ],
};
