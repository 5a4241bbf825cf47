import { createHash } from 'node:crypto';

/**
 * The keyed permutation that orders a shuffled pre-queue. It is published (seed, size, algorithm)
 * once the room opens, so anyone can recompute every place. Identical to `placeToIssued` in
 * lua/admit-7.lua: a 6-round Feistel network over the smallest even power of two >= size, each
 * round keyed by SHA-1(`${seed}:${round}:${half}`), cycle-walked back into [0, size).
 */
export const SHUFFLE_ALGORITHM = 'feistel-sha1-6r-cyclewalk';
const ROUNDS = 6;

function halfSizeFor(size: number): number {
  let bits = 2;
  while (2 ** bits < size) bits += 2;
  return 2 ** (bits / 2);
}

function roundValue(seed: string, round: number, half: number, halfSize: number): number {
  const digest = createHash('sha1').update(`${seed}:${round}:${half}`).digest('hex');
  return Number.parseInt(digest.slice(0, 8), 16) % halfSize;
}

function encrypt(x: number, seed: string, halfSize: number): number {
  let left = Math.floor(x / halfSize);
  let right = x % halfSize;
  for (let round = 1; round <= ROUNDS; round++) {
    [left, right] = [right, left ^ roundValue(seed, round, right, halfSize)];
  }
  return left * halfSize + right;
}

function decrypt(y: number, seed: string, halfSize: number): number {
  let left = Math.floor(y / halfSize);
  let right = y % halfSize;
  for (let round = ROUNDS; round >= 1; round--) {
    [left, right] = [right ^ roundValue(seed, round, left, halfSize), left];
  }
  return left * halfSize + right;
}

/** Queue place (1-based) → issue number (1-based) of the pre-queue ticket standing there. */
export function placeToIssued(place: number, size: number, seed: string): number {
  const halfSize = halfSizeFor(size);
  let x = place - 1;
  do x = encrypt(x, seed, halfSize);
  while (x >= size);
  return x + 1;
}

/** Issue number (1-based) of a pre-queue ticket → its queue place (1-based). */
export function issuedToPlace(issued: number, size: number, seed: string): number {
  const halfSize = halfSizeFor(size);
  let x = issued - 1;
  do x = decrypt(x, seed, halfSize);
  while (x >= size);
  return x + 1;
}
