import { AbstractControl, ValidationErrors, ValidatorFn, Validators } from '@angular/forms';
import { PUBLIC_ROOM_PREFIX, ROOM_NAME_PATTERN } from '../../core/models';

/**
 * `public:` rooms only (any other room needs a room token, which this app cannot get):
 * `{publicRoom: 'prefix'}` without the prefix, `{publicRoom: 'empty'}` with nothing after it.
 */
export const publicRoomValidator: ValidatorFn = (control: AbstractControl<string>): ValidationErrors | null => {
  const value = control.value ?? '';
  if (value === '') return null; // `required` speaks for an empty field
  if (!value.startsWith(PUBLIC_ROOM_PREFIX)) return { publicRoom: 'prefix' };
  return value.length === PUBLIC_ROOM_PREFIX.length ? { publicRoom: 'empty' } : null;
};

/** The room name field's validators: the contract's pattern and length, and the public prefix. */
export const roomNameValidators: ValidatorFn[] = [
  Validators.required,
  Validators.maxLength(128),
  Validators.pattern(ROOM_NAME_PATTERN),
  publicRoomValidator,
];

/** The messages for a room name field's errors, in the order they are shown. */
export function roomNameMessages(errors: ValidationErrors | null): string[] {
  if (!errors) return [];
  const out: string[] = [];
  if (errors['required']) out.push('Enter a room name.');
  if (errors['maxlength']) out.push('A room name has at most 128 characters.');
  if (errors['publicRoom'] === 'prefix') out.push(`Only public rooms can be joined here: start the name with ${PUBLIC_ROOM_PREFIX}`);
  if (errors['publicRoom'] === 'empty') out.push(`Add a name after ${PUBLIC_ROOM_PREFIX}`);
  if (errors['pattern']) out.push('Use only letters, digits and _ . : @ - (no spaces).');
  return out;
}
