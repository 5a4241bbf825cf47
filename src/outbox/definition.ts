import { Gauge } from 'prom-client';
import { defineCapability } from '../capability.js';
import { OutboxSender } from './sender.js';

const SEND_EVERY_MS = 500;

/**
 * Webhook delivery: every capability writes its messages into the outbox in its own transactions
 * (`infra.outbox`); this capability delivers them, at least once, from every instance.
 */
export const outbox = defineCapability({
  name: 'outbox',
  errors: {},
  async create(infra) {
    const sender = new OutboxSender(infra.pool, infra.log, { allowPrivate: infra.config.webhookAllowPrivate });
    const backlog = new Gauge({
      name: 'floodgate_outbox_backlog',
      help: 'Webhook notifications not delivered yet',
      registers: [infra.metrics.registry],
    });
    return {
      routes: () => {},
      loops: [
        {
          name: 'outbox',
          everyMs: SEND_EVERY_MS,
          async step() {
            // Keep going while there is a backlog.
            while ((await sender.sendDue()) > 0);
          },
        },
      ],
      async gauges() {
        const n = await infra.outbox.backlog().catch(() => null);
        if (n !== null) backlog.set(n);
      },
      close: () => sender.close(),
    };
  },
});
