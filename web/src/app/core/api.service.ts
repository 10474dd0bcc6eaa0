import { HttpClient, HttpHeaders } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';
import { LoginResponse, OnlineSnapshot, RegisterResponse, RoomSnapshot, User, UsersPage } from './models';

/** The presenced HTTP API (same origin). The auth header is added by `authInterceptor`. */
@Injectable({ providedIn: 'root' })
export class ApiService {
  private readonly http = inject(HttpClient);

  login(username: string, password: string): Observable<LoginResponse> {
    return this.http.post<LoginResponse>('/api-token-auth/', { username, password });
  }

  register(username: string, email: string, password: string): Observable<RegisterResponse> {
    return this.http.post<RegisterResponse>('/api/register/', { username, email, password });
  }

  /**
   * Revokes `token`. The token is passed explicitly because local state is cleared before the call
   * returns (the interceptor leaves an explicit Authorization header alone).
   */
  logout(token: string): Observable<unknown> {
    return this.http.post('/api/logout/', null, {
      headers: new HttpHeaders({ Authorization: `Token ${token}` }),
    });
  }

  me(): Observable<User> {
    return this.http.get<User>('/api/me/');
  }

  online(): Observable<OnlineSnapshot> {
    return this.http.get<OnlineSnapshot>('/api/users/online/');
  }

  /** `GET /api/users/?page=N`: one page of the user directory (pages count from 1). */
  users(page: number): Observable<UsersPage> {
    return this.http.get<UsersPage>('/api/users/', { params: { page } });
  }

  /**
   * `GET /api/rooms/<room>/presence/` (public rooms: no room token). The name goes into the path as it
   * is: the contract's room characters are all allowed in a path segment, and an encoded `:` or `@` might
   * not be decoded by the server's router. `.` and `..` would be folded away by URL resolution: the rooms
   * effects rejoin those instead of asking here.
   */
  roomPresence(room: string): Observable<RoomSnapshot> {
    return this.http.get<RoomSnapshot>(`/api/rooms/${room}/presence/`);
  }
}
