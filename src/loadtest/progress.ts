// The live progress line and the summary printed at the end of a run. Pure: strings only.
import { type Check, verdict } from './audit.js';
import type { SecondSample } from './recorder.js';
import type { Report } from './report.js';
import type { Progress } from './runner.js';
import { formatDuration, formatStage, type Stage } from './stages.js';

/** One line about the second just over: which stage (or the drain), how far, what the target did. */
export function progressLine(sample: SecondSample, progress: Progress, stages: Stage[]): string {
  const done = progress.totalMs > 0 ? Math.min(1, progress.elapsedMs / progress.totalMs) : 1;
  const bar = '█'.repeat(Math.round(done * 20)).padEnd(20, '░');
  const where =
    progress.stage >= 0
      ? `stage ${progress.stage + 1}/${stages.length} (${formatStage(stages[progress.stage]!)})`
      : 'drain (stages over, flows finishing)';
  const gauges = Object.entries(sample.gauges)
    .map(([k, v]) => `${k} ${v}`)
    .join(' ');
  return `${where} ${bar} ${Math.round(done * 100)}% | ${sample.started} req/s p99 ${sample.p99Ms.toFixed(1)} ms errors ${sample.errors} dropped ${sample.dropped} in flight ${sample.inFlight}${gauges ? ` | ${gauges}` : ''}`;
}

/** The summary of a run, as lines. */
export function summaryLines(report: Report, stages: Stage[]): string[] {
  const lines: string[] = [];
  const total = report.summaries.reduce((n, s) => n + s.count, 0);
  const errors = report.summaries.reduce((n, s) => n + s.errors, 0);
  const planned = stages.reduce((sum, s) => sum + s.durationMs, 0);
  // What ran: all the stages, or their part before Ctrl-C.
  const ranMs = report.interrupted ? Math.min(planned, (report.interruptedAfterSeconds ?? report.durationSeconds) * 1000) : planned;
  lines.push('');
  if (report.interrupted) {
    lines.push(
      `interrupted (Ctrl-C) after ${formatDuration(ranMs)} of ${formatDuration(planned)} of stages: what ran is below${report.abandoned ? `; ${report.abandoned} requests in flight were abandoned (not in the latencies)` : ''}`,
    );
  }
  lines.push(
    `${report.scenario} against ${report.target}: ${report.arrivals} arrivals in ${formatDuration(ranMs)} of stages (${stages.map(formatStage).join(', ')}), ${report.dropped} dropped, ${report.unfinished} unfinished`,
  );
  if (report.warmup) {
    const w = report.warmup;
    lines.push(
      `before them, a warm-up of ${formatDuration(w.durationMs)}: ${w.arrivals} arrivals, not recorded${w.failed ? `; ${w.failed} failed` : ''}${w.unfinished ? `; ${w.unfinished} still running when the stages began` : ''}`,
    );
  }
  lines.push(`${total} requests, ${errors} errors (${total ? ((errors / total) * 100).toFixed(2) : '0'}%)`, '');
  lines.push('kind         count     errors    p50 ms    p95 ms    p99 ms    max ms');
  for (const s of report.summaries) {
    lines.push(
      `${s.name.padEnd(12)} ${String(s.count).padStart(8)} ${String(s.errors).padStart(9)} ${s.p50Ms.toFixed(2).padStart(9)} ${s.p95Ms.toFixed(2).padStart(9)} ${s.p99Ms.toFixed(2).padStart(9)} ${s.maxMs.toFixed(2).padStart(9)}`,
    );
  }
  const stall = Math.max(0, ...report.timeline.map((s) => s.generatorStallMs));
  const busy = Math.max(0, ...report.timeline.map((s) => s.generatorBusy));
  lines.push(
    '',
    `load generator (this process): longest event-loop stall ${stall.toFixed(1)} ms, busiest second ${Math.round(busy * 100)}% busy`,
  );
  if (busy > 0.9) lines.push("  near saturation: part of the latency may be the generator's own; run it on another machine to be sure");
  lines.push('', 'audit:');
  for (const c of report.audit) lines.push(auditLine(c));
  return lines;
}

export function auditLine(c: Check): string {
  return `  ${verdict(c)}  ${c.invariant}: ${c.detail}`;
}
