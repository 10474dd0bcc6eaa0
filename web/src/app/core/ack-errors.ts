import { AckFailure } from './models';

/** A failed `presence:*` event as the store keeps it and the pages show it. */
export interface PresenceError {
  code: string;
  /** What the user reads. */
  message: string;
}

/** What the user reads for each ack code (the server's, then the client's own). */
const MESSAGES: Record<string, string> = {
  unauthorized: 'This connection is not signed in yet. Try again in a moment.',
  forbidden: 'You are not allowed in this room.',
  bad_request: 'The server did not accept the request.',
  rate_limited: 'Too many requests. Wait a moment and try again.',
  too_many_rooms: 'You are in as many rooms as allowed. Leave one first.',
  too_many_watched: 'You are watching as many people as allowed.',
  offline: 'Not connected to the server.',
  timeout: 'The server did not answer. Try again.',
  bad_ack: 'The server sent an answer this page does not understand.',
};

/**
 * Turns a failed ack into a message for people: a known code gets its sentence (with the server's
 * message after it for `bad_request`, where it says what was wrong); an unknown code shows the server's
 * message, or the code itself.
 */
export function toPresenceError(ack: Pick<AckFailure, 'code' | 'message'>): PresenceError {
  const code = ack.code || 'unknown';
  const detail = (ack.message ?? '').trim();
  const known = MESSAGES[code];
  if (!known) return { code, message: detail || `The request failed (${code}).` };
  if (code === 'bad_request' && detail) return { code, message: `${known} (${detail})` };
  return { code, message: known };
}
