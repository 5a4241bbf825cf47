import { Counter, Gauge, type Registry } from 'prom-client';

/** The waiting room's metrics (rooms are operator-defined, hence bounded labels). */
export function roomMetrics(registry: Registry) {
  return {
    waiting: new Gauge({
      name: 'floodgate_room_waiting',
      help: 'Tickets waiting in the room queue',
      labelNames: ['room'] as const,
      registers: [registry],
    }),
    active: new Gauge({
      name: 'floodgate_room_active',
      help: 'Admitted tickets and sessions holding a slot',
      labelNames: ['room'] as const,
      registers: [registry],
    }),
    admitted: new Counter({
      name: 'floodgate_admitted_total',
      help: 'Tickets admitted by this instance (sum over instances for the room)',
      labelNames: ['room'] as const,
      registers: [registry],
    }),
  };
}

export type RoomMetrics = ReturnType<typeof roomMetrics>;
