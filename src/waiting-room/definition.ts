import { defineCapability, type EntitySample } from '../capability.js';
import { ROOM_ERRORS } from './errors.js';
import { EntryIdentities } from './identity.js';
import { RoomSessions } from './live-sessions.js';
import { roomLoops } from './loops.js';
import { roomMetrics } from './metrics.js';
import { RoomRepository } from './repository.js';
import { waitingRoomRoutes } from './routes.js';
import { WaitingRoomService } from './service.js';
import { roomShortcuts } from './shortcuts.js';
import { TicketIds } from './ticket-id.js';

/**
 * The waiting room: queues with admission at a set rate under maxActive, sessions, and the access
 * tokens every capability behind a room checks (it provides the gate's live sessions).
 */
export const waitingRoom = defineCapability({
  name: 'waiting-room',
  errors: ROOM_ERRORS,
  async create(infra) {
    const rooms = new RoomRepository(infra.pool);
    const ticketIds = new TicketIds(await infra.secret('ticket-id-hmac'));
    infra.access.provideSessions(new RoomSessions(infra.redis, infra.prefix, ticketIds));
    const service = new WaitingRoomService({
      redis: infra.redis,
      prefix: infra.prefix,
      rooms,
      access: infra.access,
      identities: new EntryIdentities(infra.partners, infra.admin, await infra.secret('visitor-cookie-hmac')),
      limits: infra.limits,
      ticketIds,
      roomCacheMs: infra.config.roomCacheMs,
      defaultClientRate: infra.config.clientRate,
    });
    const metrics = roomMetrics(infra.metrics.registry);
    return {
      service,
      rooms,
      routes: (app) => waitingRoomRoutes(app, service, infra.admin),
      shortcuts: roomShortcuts(service),
      loops: roomLoops(service, rooms, infra.config.admissionIntervalMs, (room, count) => metrics.admitted.inc({ room }, count)),
      async gauges() {
        const list = await rooms.list().catch(() => []);
        await Promise.all(
          list.map(async ({ id }) => {
            const view = await service.views.get(id, { fresh: true }).catch(() => null);
            if (!view) return;
            metrics.waiting.set({ room: id }, Math.max(0, view.issued - view.served - view.leftWaiting));
            metrics.active.set({ room: id }, view.active);
          }),
        );
      },
      // The dashboard's history (src/history/): each room's figures as GET /v1/rooms shows them, and
      // this instance's admissions (summed over instances by the history).
      async samples({ shared }) {
        const admitted = (await metrics.admitted.get()).values;
        const samples: EntitySample[] = admitted.map(({ labels, value }) => ({
          kind: 'room',
          entity: String(labels.room),
          counts: { admitted: value },
        }));
        if (!shared) return samples;
        const described = await Promise.all((await rooms.list()).map((record) => service.describeRecord(record).catch(() => null)));
        for (const { record, view, stats } of described.filter((d) => d !== null)) {
          samples.push({
            kind: 'room',
            entity: record.id,
            values: {
              waiting: stats.waiting,
              active: stats.active,
              maxActive: view.maxActive,
              admitPerSecond: view.admitPerSecond,
              observedAdmitPerSecond: stats.observedAdmitPerSecond,
              admittedTotal: stats.admittedTotal,
              // Tickets passed at the front without admission (left, or stopped polling): the
              // increase of served beyond that of admittedTotal.
              served: view.served,
              issued: view.issued,
              leftWaiting: view.leftWaiting,
              oldestWaitSeconds: stats.oldestWaitSeconds,
              // What someone entering now is told (null while paused, or full with nobody admitted lately).
              newcomerEtaSeconds: WaitingRoomService.eta(view, stats.waiting + 1).eta,
              paused: view.paused ? 1 : 0,
              opened: view.opened ? 1 : 0,
            },
          });
        }
        return samples;
      },
    };
  },
});
