import { User } from '../app/core/models';

export const alice: User = {
  id: 1,
  username: 'alice',
  email: 'a@x.org',
  is_online: true,
  last_seen: null,
  date_joined: '2026-11-01T10:00:00Z',
};
export const bob: User = { id: 2, username: 'bob', email: 'b@x.org', is_online: true, last_seen: null };
export const carol: User = { id: 3, username: 'Carol', email: 'c@x.org', is_online: true, last_seen: null };
export const dave: User = { id: 4, username: 'dave', is_online: true, last_seen: null };
