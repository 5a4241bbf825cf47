// JSON bodies, decoded strictly: the bytes must be valid UTF-8 (never silently replaced by U+FFFD,
// which would make distinct user ids collide), and no string, key or value, may hold a lone
// surrogate (JSON's "\ud800" escapes) or U+0000 (PostgreSQL refuses it, and it ends strings in C
// code downstream). One function for the Fastify routes' parser and for the request shortcuts, so
// both refuse the same bodies, before any schema runs and before anything is decided.

import { isAscii } from 'node:buffer';

export class BodyError extends Error {
  constructor(readonly code: 'invalid_json' | 'invalid_encoding') {
    super(code);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export function parseJsonBody(raw: Buffer): unknown {
  let text: string;
  // Nearly every body is ASCII, which is valid UTF-8 as it is: the checking decoder is for the rest.
  if (isAscii(raw)) text = raw.toString('latin1');
  else {
    try {
      text = utf8.decode(raw);
    } catch {
      throw new BodyError('invalid_encoding');
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BodyError('invalid_json');
  }
  // Decoded text holds no lone surrogate, and JSON.parse refuses a raw control character: a NUL or
  // a lone surrogate can only come from a \u escape, so a body without one needs no walk.
  if (text.includes('\\u') && !allStringsClean(value)) throw new BodyError('invalid_encoding');
  return value;
}

/** Well-formed Unicode without U+0000: what every user-supplied string must be. */
export function isCleanText(text: string): boolean {
  return text.isWellFormed() && !text.includes('\u0000');
}

function allStringsClean(value: unknown): boolean {
  if (typeof value === 'string') return isCleanText(value);
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) return value.every(allStringsClean);
  for (const [key, item] of Object.entries(value)) {
    if (!isCleanText(key) || !allStringsClean(item)) return false;
  }
  return true;
}
