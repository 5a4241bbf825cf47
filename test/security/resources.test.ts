import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { claims } from '../../src/claims/definition.js';
import { waitingRoom } from '../../src/waiting-room/definition.js';
import { pooled } from '../claims/helpers.js';
import { useListeningInstance } from '../helpers.js';

/** Issue 19, defects 6 and 7: client input cannot grow memory or load the database; slow sockets are cut. */
describe('resources under hostile clients', () => {
  const instance = useListeningInstance(
    { headersTimeoutMs: 800, requestTimeoutMs: 1_500, maxConnections: 40, clientRate: { perSecond: 1_000_000, burst: 1_000_000 } },
    { background: false },
  );

  it('made-up campaign and room ids cost a bounded number of database reads and no lasting memory', async () => {
    const campaigns = instance.ctx.get(claims).repository;
    const rooms = instance.ctx.get(waitingRoom).rooms;
    let campaignReads = 0;
    let roomReads = 0;
    const getCampaign = campaigns.get.bind(campaigns);
    const getRoom = rooms.get.bind(rooms);
    campaigns.get = (id) => {
      campaignReads++;
      return getCampaign(id);
    };
    rooms.get = (id) => {
      roomReads++;
      return getRoom(id);
    };
    try {
      const started = Date.now();
      const answers = await pooled(
        Array.from({ length: 3_000 }, (_, i) => async () => {
          const [path, body] = i % 2 ? [`/v1/campaigns/made-up-${i}/claims`, { userId: 'x' }] : [`/v1/rooms/made-up-${i}/tickets`, {}];
          const res = await request(`${instance.origin}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': 'fgk_made-up' },
            body: JSON.stringify(body),
          });
          await res.body.dump();
          return res.statusCode;
        }),
        20,
      );
      const seconds = Math.max(1, Math.ceil((Date.now() - started) / 1000));
      assert.ok(
        answers.every((s) => s === 404),
        `every made-up id is a 404: ${[...new Set(answers)]}`,
      );
      // 20 unknown-id reads a second per cache (db/record-cache.ts), whatever the flood
      assert.ok(campaignReads <= 20 * (seconds + 1), `${campaignReads} campaign reads in ${seconds} s`);
      assert.ok(roomReads <= 20 * (seconds + 1), `${roomReads} room reads in ${seconds} s`);
    } finally {
      campaigns.get = getCampaign;
      rooms.get = getRoom;
    }
  });

  /** Opens a socket, writes `data`, and resolves with the ms until the server closed it (or fails after `limitMs`). */
  async function closedAfter(data: string, limitMs: number): Promise<number> {
    const { port } = new URL(instance.origin);
    const socket: Socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    const openedAt = Date.now();
    socket.on('data', () => {});
    socket.on('error', () => {});
    if (data) socket.write(data);
    const closed = once(socket, 'close');
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`still open after ${limitMs} ms`)), limitMs));
    try {
      await Promise.race([closed, timeout]);
    } finally {
      socket.destroy();
    }
    return Date.now() - openedAt;
  }

  it('closes idle sockets, half-sent headers and unfinished bodies (headers and request timeouts)', async () => {
    // headersTimeoutMs 800, requestTimeoutMs 1,500 here (10 s and 30 s by default); checked every ≤ 1 s
    assert.ok((await closedAfter('', 5_000)) < 3_000, 'an idle socket');
    assert.ok((await closedAfter('GET /livez HTTP/1.1\r\nHost: x\r\n', 5_000)) < 3_000, 'half-sent headers');
    const body = 'POST /v1/partners HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na';
    assert.ok((await closedAfter(body, 6_000)) < 4_000, 'an unfinished body');
  });

  it('refuses connections beyond its cap at once', async () => {
    const { port } = new URL(instance.origin);
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 40; i++) {
        const s = connect(Number(port), '127.0.0.1');
        s.on('error', () => {});
        await once(s, 'connect');
        sockets.push(s);
      }
      const extra = connect(Number(port), '127.0.0.1');
      extra.on('error', () => {});
      sockets.push(extra);
      await once(extra, 'close');
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});
