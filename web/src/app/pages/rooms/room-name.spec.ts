import { FormControl } from '@angular/forms';
import { roomNameMessages, roomNameValidators } from './room-name';

describe('room name validators', () => {
  const check = (value: string) => {
    const c = new FormControl(value, { nonNullable: true, validators: roomNameValidators });
    return { valid: c.valid, messages: roomNameMessages(c.errors) };
  };

  it('accepts public rooms in the contract pattern', () => {
    for (const ok of ['public:lobby', 'public:a', 'public:team.x_1@host-2:sub', 'public:' + 'x'.repeat(121)]) {
      expect(check(ok)).toEqual({ valid: true, messages: [] });
    }
  });

  it('says what is wrong', () => {
    expect(check('').messages).toEqual(['Enter a room name.']);
    expect(check('lobby').messages).toEqual(['Only public rooms can be joined here: start the name with public:']);
    expect(check('public:').messages).toEqual(['Add a name after public:']);
    expect(check('public:two words').messages).toEqual(['Use only letters, digits and _ . : @ - (no spaces).']);
    expect(check('public:é').valid).toBe(false);
    expect(check('public:' + 'x'.repeat(122)).messages).toEqual([
      'A room name has at most 128 characters.',
      'Use only letters, digits and _ . : @ - (no spaces).',
    ]);
    expect(check('my room').messages).toEqual([
      'Only public rooms can be joined here: start the name with public:',
      'Use only letters, digits and _ . : @ - (no spaces).',
    ]);
  });
});
