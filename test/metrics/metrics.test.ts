import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { parse } from 'yaml';
import { claim, createCampaign, createPartner } from '../claims/helpers.js';
import { createRoom, enter, eventually, uniqueId, useListeningInstance } from '../helpers.js';

/** Sample value of a series in Prometheus text format, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_:]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(match[3]);
  }
  return undefined;
}

/** Metric names a PromQL expression or dashboard uses (histogram suffixes folded). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(floodgate_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ''));
}

describe('metrics', () => {
  const instance = useListeningInstance({ admissionIntervalMs: 50 });

  const scrape = async () => await (await request(`${instance.origin}/metrics`)).body.text();

  it('move with a small load: requests, queue sizes, admissions, claims, persistence, scripts', async () => {
    const room = await createRoom(instance.app, { id: uniqueId('m'), admitPerSecond: 20, maxActive: 5, sessionSeconds: 60 });
    const { apiKey } = await createPartner(instance.app);
    const campaign = await createCampaign(instance.app, { id: uniqueId('m'), stock: 10 });
    const before = await scrape();
    const pollRoute = { route: '/v1/rooms/:roomId/tickets/:ticketId', method: 'GET', status_code: '200' };
    const pollsBefore = sample(before, 'floodgate_http_request_duration_seconds_count', pollRoute) ?? 0;

    const tickets = [];
    for (let i = 0; i < 20; i++) tickets.push((await enter(instance.app, room.id, `secret-user-${i}`)).body.ticketId as string);
    for (const t of tickets) await request(`${instance.origin}/v1/rooms/${room.id}/tickets/${t}`).then((r) => r.body.text());
    for (let i = 0; i < 12; i++) await claim(instance.app, campaign.id, `secret-user-${i}`, apiKey);

    await eventually(async () => {
      const text = await scrape();
      return (sample(text, 'floodgate_admitted_total', { room: room.id }) ?? 0) >= 5 ? text : undefined;
    });
    // Scraped again: within one scrape the gauges are read from Redis before the counters are
    // written out, so the scrape that first shows the fifth admission may predate it in its gauges.
    const after = await scrape();
    assert.ok(sample(after, 'floodgate_http_request_duration_seconds_count', pollRoute)! >= pollsBefore + 20);
    assert.equal(sample(after, 'floodgate_room_active', { room: room.id }), 5);
    assert.equal(sample(after, 'floodgate_room_waiting', { room: room.id }), 15);
    assert.equal(sample(after, 'floodgate_claims_total', { campaign: campaign.id, result: 'confirmed' }), 10);
    assert.equal(sample(after, 'floodgate_claims_total', { campaign: campaign.id, result: 'sold_out' }), 2);
    assert.ok(sample(after, 'floodgate_claim_persistence_lag_seconds_count')! >= 10);
    assert.ok(sample(after, 'floodgate_claim_batch_size_count')! >= 1);
    assert.ok(sample(after, 'floodgate_lua_script_duration_seconds_count', { script: 'enter' })! >= 1);
    assert.ok(sample(after, 'floodgate_lua_script_duration_seconds_count', { script: 'claim' })! >= 1);
    assert.equal(sample(after, 'floodgate_outbox_backlog'), 0);
    assert.ok(sample(after, 'floodgate_process_cpu_seconds_total')! > 0);
    assert.doesNotMatch(after, /secret-user|fgk_|Bearer/, 'no user ids or credentials in labels');
  });

  it('the Grafana dashboard and the alert rules use only metrics that exist', async () => {
    const known = new Set((await instance.ctx.infra.metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    const dashboard = JSON.parse(readFileSync('deploy/grafana/dashboards/floodgate.json', 'utf8'));
    const exprs: string[] = dashboard.panels.flatMap((p: { targets: Array<{ expr: string }> }) => p.targets.map((t) => t.expr));
    assert.ok(exprs.length >= 10);
    const rules = parse(readFileSync('deploy/prometheus/alerts.yml', 'utf8')).groups.flatMap((g: { rules: unknown[] }) => g.rules);
    for (const rule of rules) assert.ok(rule.alert && rule.expr && rule.annotations?.summary, JSON.stringify(rule));
    for (const name of [...exprs, ...rules.map((r: { expr: string }) => r.expr)].flatMap(metricNames)) {
      assert.ok(known.has(name), `${name} is not exported`);
    }
  });

  it('the alert rules and the Prometheus configuration pass promtool', () => {
    // npm test provides promtool (scripts/services.sh, ensure_promtool: Debian's prometheus package).
    const promtool = process.env.PROMTOOL || 'promtool';
    assert.equal(spawnSync(promtool, ['--version']).status, 0, `promtool is not runnable (${promtool}): run the tests with npm test`);
    const rules = spawnSync(promtool, ['check', 'rules', 'deploy/prometheus/alerts.yml'], { encoding: 'utf8' });
    assert.equal(rules.status, 0, rules.stdout + rules.stderr);
    assert.match(rules.stdout, /SUCCESS: \d+ rules found/);
    const config = spawnSync(promtool, ['check', 'config', 'deploy/prometheus/prometheus.yml'], { encoding: 'utf8' });
    assert.equal(config.status, 0, config.stdout + config.stderr);
  });
});
