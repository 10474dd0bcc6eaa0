import { toPresenceError } from './ack-errors';

describe('toPresenceError', () => {
  it('gives each contract code a sentence', () => {
    for (const code of ['unauthorized', 'forbidden', 'bad_request', 'rate_limited', 'too_many_rooms', 'too_many_watched']) {
      const e = toPresenceError({ code, message: 'x' });
      expect(e.code).toBe(code);
      expect(e.message).not.toContain(code);
      expect(e.message.length).toBeGreaterThan(10);
    }
    expect(toPresenceError({ code: 'too_many_rooms' }).message).toBe('You are in as many rooms as allowed. Leave one first.');
  });

  it("bad_request keeps the server's reason; unknown codes show the server's message or the code", () => {
    expect(toPresenceError({ code: 'bad_request', message: 'room: invalid name' }).message).toBe(
      'The server did not accept the request. (room: invalid name)',
    );
    expect(toPresenceError({ code: 'room_closed', message: 'This room is closed.' })).toEqual({
      code: 'room_closed',
      message: 'This room is closed.',
    });
    expect(toPresenceError({ code: 'room_closed' }).message).toBe('The request failed (room_closed).');
    expect(toPresenceError({ code: '' }).code).toBe('unknown');
  });

  it('the client-side codes', () => {
    expect(toPresenceError({ code: 'timeout' }).message).toContain('did not answer');
    expect(toPresenceError({ code: 'offline' }).message).toContain('Not connected');
  });
});
