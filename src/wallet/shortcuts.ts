import { PASS, type Shortcut } from '../capability.js';
import type { PartnerKeys } from '../partners/api-keys.js';
import { IDEMPOTENCY_KEY_PATTERN, transferBody } from './schemas.js';
import type { WalletService } from './service.js';

const TRANSFERS = '/v1/wallets/transfers';
const keyPattern = new RegExp(IDEMPOTENCY_KEY_PATTERN);

/**
 * `POST /v1/wallets/transfers`, answered before Fastify routes it (http/shortcuts.ts).
 *
 * Why: transfers are the wallet's surge request, and Fastify's per-request work (hooks, three
 * validations, serialisation) was about a fifth of the CPU a transfer cost this process. It
 * decides exactly as the route does, through the same service. It is idempotent (every write
 * carries its key: the route running it again answers the stored answer), so any failure, a
 * refusal included, is handed to the route, which answers through the error table; a request
 * without a well-formed key or a valid API key goes to the route untouched (its 400 or 401).
 */
export function walletShortcuts(wallet: WalletService, partners: PartnerKeys): Shortcut[] {
  return [
    {
      method: 'POST',
      route: TRANSFERS,
      idempotent: true,
      bodySchema: transferBody,
      async handle({ headers, body }) {
        const key = headers['idempotency-key'];
        const apiKey = headers['x-api-key'];
        if (typeof key !== 'string' || !keyPattern.test(key) || typeof apiKey !== 'string') return PASS;
        const partnerId = await partners.check(apiKey);
        if (!partnerId) return PASS;
        const applied = await wallet.transfer({
          partnerId,
          idempotencyKey: key,
          route: TRANSFERS,
          params: {},
          body: body as { from: string; to: string; points: number; reason: string },
        });
        return { status: 201, body: applied.body, ...(applied.replayed ? { headers: { 'idempotent-replayed': 'true' } } : {}) };
      },
    },
  ];
}
