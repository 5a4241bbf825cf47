import type { Shortcut } from '../capability.js';
import { DomainError } from '../errors.js';
import { holdAnswer } from './answers.js';
import { type BuyerDeps, holder } from './buyer.js';
import { holdBody } from './schemas.js';
import type { HoldSpec, SeatsService } from './service.js';

/**
 * `POST /v1/shows/:showId/holds`, answered before Fastify routes it (http/shortcuts.ts).
 *
 * Why: a hold is the request an on-sale surge is made of (seed 003: 60,000 tries at one seat),
 * and the framework's per-request work was most of what a refused hold cost this process (see
 * docs/seats.md). It decides exactly as the route does, with the same pieces (buyer.ts, the
 * service, answers.ts). A hold is not idempotent, so it answers its own refusals and failures
 * through the error table, as the route's error handler would.
 */
export function seatShortcuts(seats: SeatsService, deps: BuyerDeps): Shortcut[] {
  return [
    {
      method: 'POST',
      route: '/v1/shows/:showId/holds',
      idempotent: false,
      bodySchema: holdBody,
      async handle({ params, headers, body }) {
        const known = await seats.directory.get(params.showId!);
        if (!known) throw new DomainError('show_not_found');
        const request = body as HoldSpec & { userId?: string };
        return holdAnswer(await seats.hold(known, await holder(deps, headers, known.show, request.userId), request));
      },
    },
  ];
}
