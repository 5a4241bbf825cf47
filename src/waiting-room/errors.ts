import { defineErrors } from '../errors.js';

/** The waiting room's error codes (statuses: src/http/errors.ts, by kind). */
export const ROOM_ERRORS = defineErrors({
  room_not_found: { kind: 'not_found', message: 'No such room' },
  ticket_not_found: { kind: 'not_found', message: 'No such ticket in this room' },
  room_exists: { kind: 'conflict', message: 'A room with this id already exists' },
  room_closed: { kind: 'gone', message: 'This waiting room is closed' },
  room_in_use: {
    kind: 'conflict',
    message: 'A campaign, show or term refers to this room: archive the room instead, or delete them first',
  },
  extension_limit: { kind: 'conflict', message: 'No more extensions are allowed' },
  session_not_active: { kind: 'conflict', message: 'The session is not active' },
  identity_required: {
    kind: 'unauthenticated',
    message: 'Only a backend with a partner X-Api-Key may name the user; browsers are known by their cookie, sites send an identityToken',
  },
  invalid_identity_token: { kind: 'unauthenticated', message: 'The identity token is invalid, expired, or not signed for this room' },
});

export type RoomErrorCode = keyof typeof ROOM_ERRORS;
