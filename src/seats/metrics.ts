import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The seats' metrics (shows are operator-defined, hence bounded labels). */
export function seatMetrics(registry: Registry) {
  return {
    holds: new Counter({
      name: 'floodgate_seat_holds_total',
      help: 'Holds decided, by result: held, seats_unavailable, seat_limit, sold_out, not_open, sales_closed, rebuilding',
      labelNames: ['show', 'result'] as const,
      registers: [registry],
    }),
    expired: new Counter({
      name: 'floodgate_seat_holds_expired_total',
      help: 'Holds expired by this instance',
      registers: [registry],
    }),
    persistenceLag: new Histogram({
      name: 'floodgate_booking_persistence_lag_seconds',
      help: 'Time from a booking (or an expiry) being logged in Redis to its commit in PostgreSQL',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30],
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'floodgate_bookings_pending',
      help: 'Accepted bookings and expiries this instance holds until PostgreSQL takes them',
      registers: [registry],
    }),
  };
}
