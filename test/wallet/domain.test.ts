import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyBatch,
  type Hold,
  type LedgerOp,
  type PartnerAccounts,
  type Reversible,
  resolveIds,
  type Wallet,
} from '../../src/wallet/domain/ledger.js';
import { giveBack, type LotKind, type OpenLot, splitPieces, takeExpired, takeSoonestFirst } from '../../src/wallet/domain/lots.js';
import { canonicalJson, fingerprintOf } from '../../src/wallet/requests.js';

const lot = (id: number, remaining: number, expiresAt: number | null): OpenLot => ({ id, kind: 'earn', expiresAt, remaining });

describe('wallet domain: lots', () => {
  it('takes the soonest-expiring first, never-expiring last, oldest first among equals; a lot in part', () => {
    const lots = [lot(1, 5, 100), lot(3, 5, 100), lot(2, 5, 200), lot(4, 5, null)];
    const pieces = takeSoonestFirst(lots, 12);
    assert.deepEqual(
      pieces.map((p) => [p.lotId, p.points]),
      [
        [1, 5],
        [3, 5],
        [2, 2],
      ],
    );
    assert.deepEqual(
      lots.map((l) => [l.id, l.remaining]),
      [
        [2, 3],
        [4, 5],
      ],
    );
    giveBack(lots, pieces);
    assert.deepEqual(
      lots.map((l) => [l.id, l.remaining]),
      [
        [1, 5],
        [3, 5],
        [2, 5],
        [4, 5],
      ],
    );
    assert.throws(() => takeSoonestFirst(lots, 21));
  });

  it('expires only lots past their expiry; splits a hold between captured and given back', () => {
    const lots = [lot(1, 5, 100), lot(2, 5, 200), lot(3, 5, null)];
    assert.deepEqual(
      takeExpired(lots, 100).map((p) => [p.lotId, p.points]),
      [[1, 5]],
    );
    assert.deepEqual(
      lots.map((l) => l.id),
      [2, 3],
    );
    const { taken, rest } = splitPieces(
      [
        { lotId: 1, kind: 'earn', expiresAt: 1, points: 4 },
        { lotId: 2, kind: 'earn', expiresAt: 2, points: 4 },
      ],
      6,
    );
    assert.deepEqual(
      taken.map((p) => [p.lotId, p.points]),
      [
        [1, 4],
        [2, 2],
      ],
    );
    assert.deepEqual(
      rest.map((p) => [p.lotId, p.points]),
      [[2, 2]],
    );
  });

  it('fingerprints: one per JSON value, whatever the key order', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: null }] }), '{"a":[{"c":null,"d":2}],"b":1}');
    assert.deepEqual(
      fingerprintOf('/r', { userId: 'u' }, { points: 1, reason: 'x' }),
      fingerprintOf('/r', { userId: 'u' }, { reason: 'x', points: 1 }),
    );
    assert.notDeepEqual(fingerprintOf('/r', { userId: 'u' }, { points: 1 }), fingerprintOf('/s', { userId: 'u' }, { points: 1 }));
    assert.deepEqual(fingerprintOf('/r', {}, undefined), fingerprintOf('/r', {}, {}));
  });
});

/** A tiny random generator with a seed, so a failure can be replayed. */
function random(seed: number) {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

describe('wallet domain: a random ledger keeps its books', () => {
  it('5,000 random operations over 8 wallets: every transaction balanced, balances = lots = postings, nothing negative', () => {
    for (const seed of [1, 2, 3]) {
      const pick = random(seed);
      const partners = new Map<string, PartnerAccounts>([['p', { issuance: 1, expired: 2, held: 3 }]]);
      const wallets = new Map<number, Wallet>();
      for (let id = 10; id < 18; id++) wallets.set(id, { id, partnerId: 'p', userId: `u${id}`, balance: 0, lots: [] });
      const ids = [...wallets.keys()];
      const posted = new Map<number, number>(); // account → sum of postings
      const lotPosted = new Map<number, number>(); // lot → sum of postings
      const holds: Hold[] = [];
      const reversibles: Reversible[] = [];
      const applied = new Map<string, number>();
      const lotInfo = new Map<number, { kind: LotKind; expiresAt: number | null }>();
      let nextId = 1_000;
      let now = 1_000_000;
      for (let batch = 0; batch < 250; batch++) {
        now += pick(3) * 1_000;
        const ops: LedgerOp[] = [];
        for (let i = 0; i < 20; i++) {
          const w = ids[pick(ids.length)]!;
          const points = 1 + pick(40);
          switch (pick(8)) {
            case 0:
            case 1:
              ops.push({
                type: 'earn',
                partnerId: 'p',
                walletId: w,
                points,
                expiresAt: pick(3) === 0 ? null : now + pick(20) * 1_000,
                reason: 'e',
              });
              break;
            case 2:
              ops.push({ type: 'spend', partnerId: 'p', walletId: w, points, reason: 's' });
              break;
            case 3: {
              const to = ids[pick(ids.length)]!;
              if (to !== w) ops.push({ type: 'transfer', partnerId: 'p', fromId: w, toId: to, points, reason: 't' });
              break;
            }
            case 4:
              ops.push({ type: 'hold', partnerId: 'p', walletId: w, points, expiresAt: now + (1 + pick(10)) * 1_000, reason: null });
              break;
            case 5: {
              const pending = holds.filter((h) => h.status === 'pending');
              const hold = pick(3) === 0 ? holds[pick(holds.length + 1)] : pending[pick(pending.length + 1)];
              if (hold)
                ops.push(
                  pick(2)
                    ? { type: 'capture', partnerId: 'p', hold, points: pick(2) ? null : 1 + pick(hold.amount) }
                    : { type: 'void', partnerId: 'p', hold },
                );
              break;
            }
            case 6: {
              const original = reversibles[pick(reversibles.length + 1)];
              if (original) ops.push({ type: 'reverse', partnerId: 'p', original, points: pick(2) ? null : 1 + pick(20), reason: null });
              break;
            }
            default:
              ops.push({ type: 'expire', walletId: w });
          }
        }
        for (const hold of holds) if (hold.status === 'pending' && pick(10) === 0) ops.push({ type: 'hold_timeout', hold });
        const { effects, results } = applyBatch({ wallets, partners, now }, ops);
        resolveIds(
          effects,
          results,
          Array.from({ length: effects.madeIds }, () => nextId++),
          wallets.values(),
        );
        // the postings' rules, as the trigger checks them
        const byTransaction = new Map<number, number>();
        for (const p of effects.postings) {
          byTransaction.set(p.transactionId, (byTransaction.get(p.transactionId) ?? 0) + p.points);
          posted.set(p.accountId, (posted.get(p.accountId) ?? 0) + p.points);
          assert.equal(p.lotId === null, p.accountId < 10, 'user postings name a lot, the partner’s never do');
          if (p.lotId !== null) lotPosted.set(p.lotId, (lotPosted.get(p.lotId) ?? 0) + p.points);
        }
        for (const [t, sum] of byTransaction) assert.equal(sum, 0, `transaction ${t} sums to zero`);
        // a lot made in the batch is written with what its postings add up to (the trigger checks it)
        for (const l of effects.lots) assert.equal(l.remaining, lotPosted.get(l.id) ?? 0, `new lot ${l.id}`);
        assert.equal(new Set(effects.transactions.map((t) => t.id)).size, byTransaction.size);
        for (const w of wallets.values()) {
          assert.ok(w.balance >= 0);
          assert.equal(w.balance, posted.get(w.id) ?? 0, 'balance = its postings');
          assert.equal(
            w.balance,
            w.lots.reduce((n, l) => n + l.remaining, 0),
            'balance = its open lots',
          );
          for (const l of w.lots) {
            assert.ok(l.remaining > 0);
            assert.equal(l.remaining, lotPosted.get(l.id), 'lot = its postings');
            assert.ok(l.expiresAt === null || l.expiresAt > now, 'nothing past its expiry stays open');
          }
        }
        for (const r of results) applied.set(r.ok ? r.type : r.code, (applied.get(r.ok ? r.type : r.code) ?? 0) + 1);
        for (const l of effects.lots) lotInfo.set(l.id, { kind: l.kind, expiresAt: l.expiresAt });
        const pendingHeld = holds.filter((h) => h.status === 'pending').reduce((n, h) => n + h.amount, 0);
        assert.equal(posted.get(3) ?? 0, pendingHeld + effects.holds.reduce((n, h) => n + h.amount, 0), 'held account = pending holds');
        // What the writer would read back in a later batch: new holds with their pieces, earns and spends to reverse.
        for (const h of effects.holds) {
          const pieces = effects.postings
            .filter((p) => p.transactionId === h.id && p.accountId === h.accountId)
            .map((p) => ({ lotId: p.lotId!, ...lotInfo.get(p.lotId!)!, points: -p.points }));
          holds.push({ ...h, status: 'pending', captured: 0, pieces });
        }
        for (const r of results) {
          if (!r.ok || (r.type !== 'earn' && r.type !== 'spend')) continue;
          const t = effects.transactions.find((x) => x.id === r.transactionId)!;
          reversibles.push({
            id: t.id,
            partnerId: 'p',
            kind: r.type,
            accountId: t.accountId,
            amount: t.amount,
            earnLotId: r.type === 'earn' ? r.lotId : null,
            consumed: r.type === 'spend' ? r.lots : [],
            restored: new Map(),
            reversed: 0,
          });
        }
      }
      // the run went through every kind of operation, and through refusals
      for (const kind of [
        'earn',
        'spend',
        'transfer',
        'hold',
        'capture',
        'void',
        'reverse',
        'system',
        'insufficient_points',
        'hold_not_pending',
      ]) {
        assert.ok((applied.get(kind) ?? 0) > 10, `seed ${seed}: ${kind} ${applied.get(kind) ?? 0} times`);
      }
      const total = [...posted.values()].reduce((a, b) => a + b, 0);
      assert.equal(total, 0, 'the sum over all accounts is zero');
    }
  });
});
