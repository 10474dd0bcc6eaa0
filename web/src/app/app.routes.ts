import { Routes } from '@angular/router';
import { anonymousGuard, authGuard, staffGuard } from './guards';
import { AuthPage } from './pages/auth/auth.page';
import { OnlinePage } from './pages/online/online.page';

export const routes: Routes = [
  { path: '', pathMatch: 'full', component: OnlinePage, canActivate: [authGuard], title: 'Who is online · presenced' },
  { path: 'login', component: AuthPage, canActivate: [anonymousGuard], data: { mode: 'login' }, title: 'Sign in · presenced' },
  {
    path: 'register',
    component: AuthPage,
    canActivate: [anonymousGuard],
    data: { mode: 'register' },
    title: 'Create an account · presenced',
  },
  {
    path: 'rooms',
    canActivate: [authGuard],
    loadComponent: () => import('./pages/rooms/rooms.page').then((m) => m.RoomsPage),
    title: 'Rooms · presenced',
  },
  {
    path: 'people',
    canActivate: [authGuard],
    loadComponent: () => import('./pages/people/people.page').then((m) => m.PeoplePage),
    title: 'People · presenced',
  },
  {
    path: 'operator',
    canActivate: [staffGuard],
    loadComponent: () => import('./pages/operator/operator.page').then((m) => m.OperatorPage),
    title: 'Operator · presenced',
  },
  { path: '**', redirectTo: '' },
];
