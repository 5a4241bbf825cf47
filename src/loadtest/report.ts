import { writeFileSync } from 'node:fs';
import { type Check, verdict } from './audit.js';
import type { SecondSample, Summary } from './recorder.js';
import type { RunResult, WarmupResult } from './runner.js';
import type { PreparedScenario } from './scenarios.js';

export interface Report {
  scenario: string;
  target: string;
  startedAt: string;
  stages: string[];
  /** The warm-up before the stages (nothing of it in the figures), as asked ("3s") and as it ran; null without one. */
  warmup: (WarmupResult & { asked: string }) | null;
  setup: Record<string, unknown>;
  arrivals: number;
  dropped: number;
  unfinished: number;
  durationSeconds: number;
  /** Stopped early (Ctrl-C): the report is of what ran until then. */
  interrupted: boolean;
  /** When the interruption came, in seconds into the stages (null when not interrupted). */
  interruptedAfterSeconds: number | null;
  /** Requests in flight when an interrupted run gave up on them. */
  abandoned: number;
  summaries: Summary[];
  timeline: SecondSample[];
  audit: Check[];
}

/** The report of a finished run: what was asked, what happened, what the audit found. */
export function buildReport(
  scenario: PreparedScenario,
  result: RunResult,
  audit: Check[],
  run: { target: string; stages: string[]; warmup: string | null; startedAt: string },
): Report {
  return {
    scenario: scenario.name,
    ...run,
    warmup: run.warmup && result.warmup ? { asked: run.warmup, ...result.warmup } : null,
    setup: scenario.describe(),
    arrivals: result.arrivals,
    dropped: result.recorder.dropped,
    unfinished: result.unfinished,
    durationSeconds: result.durationMs / 1000,
    interrupted: result.interrupted,
    interruptedAfterSeconds: result.interruptedAtMs === null ? null : result.interruptedAtMs / 1000,
    abandoned: result.abandoned,
    summaries: result.recorder.summaries(),
    timeline: result.recorder.timeline,
    audit,
  };
}

/** Writes PATH.json and PATH.html. */
export function writeReport(path: string, report: Report): void {
  writeFileSync(`${path}.json`, JSON.stringify(report, null, 1));
  writeFileSync(`${path}.html`, htmlReport(report));
}

const VERDICT_COLORS = { PASS: '#16a34a', FAIL: '#dc2626', SKIP: '#6b7280', INFO: '#2563eb' } as const;

const esc = (s: unknown) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** A line chart as inline SVG: self-contained, no script, no network. */
function chart(title: string, series: Array<{ name: string; color: string; values: number[] }>, unit: string): string {
  const w = 860,
    h = 220,
    left = 60,
    bottom = 24,
    top = 10;
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const max = Math.max(1e-9, ...series.flatMap((s) => s.values));
  const x = (i: number) => left + (i / Math.max(1, n - 1)) * (w - left - 10);
  const y = (v: number) => top + (1 - v / max) * (h - top - bottom);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (f) =>
        `<line x1="${left}" x2="${w - 10}" y1="${y(max * f)}" y2="${y(max * f)}" stroke="#ddd"/><text x="${left - 6}" y="${y(max * f) + 4}" text-anchor="end" font-size="11">${+(max * f).toPrecision(3)}</text>`,
    )
    .join('');
  const lines = series
    .map(
      (s) =>
        `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`,
    )
    .join('');
  const legend = series.map((s) => `<span style="color:${s.color}">■</span> ${esc(s.name)}`).join(' &nbsp; ');
  return `<figure><figcaption><b>${esc(title)}</b> (${esc(unit)}, per second) — ${legend}</figcaption><svg viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="${esc(title)}">${grid}${lines}<text x="${w - 10}" y="${h - 6}" text-anchor="end" font-size="11">${n} s</text></svg></figure>`;
}

export function htmlReport(report: Report): string {
  const t = report.timeline;
  const gaugeNames = [...new Set(t.flatMap((s) => Object.keys(s.gauges)))];
  const colors = ['#2563eb', '#16a34a', '#9333ea', '#ea580c'];
  const rows = report.summaries
    .map(
      (s) =>
        `<tr><td>${esc(s.name)}</td><td>${s.count}</td><td>${s.errors}</td><td>${s.p50Ms.toFixed(2)}</td><td>${s.p95Ms.toFixed(2)}</td><td>${s.p99Ms.toFixed(2)}</td><td>${s.maxMs.toFixed(2)}</td><td>${esc(JSON.stringify(s.statuses))}</td></tr>`,
    )
    .join('');
  const audit = report.audit
    .map(
      (c) =>
        `<tr><td style="color:${VERDICT_COLORS[verdict(c)]}"><b>${verdict(c)}</b></td><td>${esc(c.invariant)}</td><td>${esc(c.detail)}</td></tr>`,
    )
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>floodgate loadtest: ${esc(report.scenario)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;max-width:900px;margin:2rem auto;padding:0 1rem;color:#111}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}td,th{border-bottom:1px solid #e5e7eb;padding:.3rem .5rem;text-align:right}td:first-child,th:first-child{text-align:left}figure{margin:1rem 0}code{background:#f3f4f6;padding:0 .2rem}</style></head><body>
<h1>floodgate loadtest — ${esc(report.scenario)}</h1>
<p>Target <code>${esc(report.target)}</code>, started ${esc(report.startedAt)}, stages <code>${esc(report.stages.join(' '))}</code>${report.warmup ? `, after a warm-up of ${esc(report.warmup.asked)} (${report.warmup.arrivals} arrivals, not recorded)` : ''}.
${report.interrupted ? `<b>Interrupted (Ctrl-C)</b> after ${(report.interruptedAfterSeconds ?? report.durationSeconds).toFixed(1)} s: this is what ran until then${report.abandoned ? `; ${report.abandoned} requests in flight were abandoned` : ''}. ` : ''}${report.arrivals} arrivals, <b>${report.dropped} dropped</b>, ${report.unfinished} unfinished at the end, ${report.durationSeconds.toFixed(1)} s.
Setup: <code>${esc(JSON.stringify(report.setup))}</code></p>
<h2>Audit</h2><table><tr><th>Result</th><th>Invariant</th><th>Detail</th></tr>${audit}</table>
<h2>Requests</h2><table><tr><th>Kind</th><th>Count</th><th>Errors</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>max ms</th><th>Statuses</th></tr>${rows}</table>
${chart(
  'Throughput',
  [
    { name: 'requests started', color: colors[0]!, values: t.map((s) => s.started) },
    { name: 'completed', color: colors[1]!, values: t.map((s) => s.completed) },
    { name: 'errors', color: '#dc2626', values: t.map((s) => s.errors) },
    { name: 'dropped', color: colors[3]!, values: t.map((s) => s.dropped) },
  ],
  'requests',
)}
${chart(
  "Latency p99 (from scheduled start), and the load generator's own longest stall",
  [
    { name: 'p99', color: colors[2]!, values: t.map((s) => s.p99Ms) },
    {
      name: "generator stall (a spike here is the load tester's, not the target's)",
      color: colors[3]!,
      values: t.map((s) => s.generatorStallMs ?? 0),
    },
  ],
  'ms',
)}
${
  gaugeNames.length
    ? chart(
        'System state',
        gaugeNames.map((g, i) => ({ name: g, color: colors[i % colors.length]!, values: t.map((s) => s.gauges[g] ?? 0) })),
        'count',
      )
    : ''
}
</body></html>`;
}
