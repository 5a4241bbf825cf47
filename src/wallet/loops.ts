// The wallet's background steps, run by every instance (src/background.ts). Each only hands
// requests to the writer, which decides them under the wallets' locks: two instances expiring the
// same lot, or timing out the same hold, serialise on the wallet, and the second finds nothing
// left to do. Nothing is elected.
import type { Loop } from '../capability.js';
import type { Clock } from '../clock.js';
import type { Pool } from '../db/pool.js';
import type { LedgerWriter } from './writer.js';

/** Lots past their expiry (hence wallets) taken per step; a backlog is worked off step after step. */
const DUE_LOTS_PER_STEP = 2_000;
const DUE_HOLDS_PER_STEP = 1_000;
/** How long a request's key and first answer are kept: a retry within this time is answered with the first answer. */
export const KEY_RETENTION_DAYS = 7;
const FORGET_PER_STEP = 10_000;

export function walletLoops(pool: Pool, writer: LedgerWriter, clock: Clock): Loop[] {
  const at = () => new Date(clock.now());
  return [
    {
      name: 'wallet-expiry',
      everyMs: 1_000,
      async step() {
        const { rows } = await pool.query<{ partner_id: string; user_id: string }>(
          `SELECT DISTINCT a.partner_id, a.user_id
             FROM (SELECT account_id FROM wallet_lots
                    WHERE open AND expires_at IS NOT NULL AND expires_at <= $1
                    ORDER BY expires_at LIMIT ${DUE_LOTS_PER_STEP}) l
             JOIN wallet_accounts a ON a.id = l.account_id`,
          [at()],
        );
        await Promise.all(rows.map((r) => writer.submit({ type: 'expire', partnerId: r.partner_id, userId: r.user_id })));
        return rows.length;
      },
    },
    {
      name: 'wallet-hold-timeouts',
      everyMs: 1_000,
      async step() {
        const { rows } = await pool.query<{ id: number }>(
          `SELECT id FROM wallet_holds WHERE status = 'pending' AND expires_at <= $1 ORDER BY expires_at LIMIT ${DUE_HOLDS_PER_STEP}`,
          [at()],
        );
        await Promise.all(rows.map((r) => writer.submit({ type: 'hold_timeout', holdId: r.id })));
        return rows.length;
      },
    },
    {
      name: 'wallet-key-retention',
      everyMs: 60_000,
      async step() {
        const { rowCount } = await pool.query(
          `DELETE FROM wallet_requests WHERE ctid = ANY (ARRAY(
             SELECT ctid FROM wallet_requests WHERE created_at < now() - interval '${KEY_RETENTION_DAYS} days' LIMIT ${FORGET_PER_STEP}))`,
        );
        return rowCount;
      },
    },
  ];
}
