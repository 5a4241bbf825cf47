import { defineErrors } from '../errors.js';

/** The waiting room's error codes (statuses: src/http/errors.ts, by kind). */
export const ROOM_ERRORS = defineErrors({
  room_not_found: { kind: 'not_found', message: 'No such room' },
  ticket_not_found: { kind: 'not_found', message: 'No such ticket in this room' },
  room_exists: { kind: 'conflict', message: 'A room with this id already exists' },
  extension_limit: { kind: 'conflict', message: 'No more extensions are allowed' },
  session_not_active: { kind: 'conflict', message: 'The session is not active' },
});

export type RoomErrorCode = keyof typeof ROOM_ERRORS;
