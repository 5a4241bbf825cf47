// Arrival-rate stages: "1000/s:10s" = 1,000 arrivals per second for 10 seconds. Pure.

export interface Stage {
  ratePerSecond: number;
  durationMs: number;
}

const STAGE = /^(\d+(?:\.\d+)?)\/s:(\d+(?:\.\d+)?)(ms|s|m)$/;

export function parseStage(text: string): Stage {
  const match = STAGE.exec(text.trim());
  if (!match) throw new Error(`bad stage "${text}": expected <rate>/s:<duration>, e.g. 1000/s:10s`);
  const unit = match[3] === 'ms' ? 1 : match[3] === 's' ? 1000 : 60_000;
  return { ratePerSecond: Number(match[1]), durationMs: Number(match[2]) * unit };
}

/**
 * The scheduled start (ms from the run's start) of every arrival, at a constant rate per stage,
 * like k6's constant-arrival-rate executor: arrivals are due at fixed times whatever the answers
 * take, so a slow server cannot lower the load it receives.
 */
export function* arrivals(stages: Stage[]): Generator<{ at: number; stage: number }> {
  let stageStart = 0;
  for (const [index, stage] of stages.entries()) {
    const count = Math.floor((stage.ratePerSecond * stage.durationMs) / 1000);
    const gap = 1000 / stage.ratePerSecond;
    for (let i = 0; i < count; i++) yield { at: stageStart + i * gap, stage: index };
    stageStart += stage.durationMs;
  }
}

export function totalDurationMs(stages: Stage[]): number {
  return stages.reduce((sum, s) => sum + s.durationMs, 0);
}

/** The stage running `elapsedMs` into the run, or -1 once every stage is over (the drain). */
export function stageAt(stages: Stage[], elapsedMs: number): number {
  let end = 0;
  for (const [index, stage] of stages.entries()) {
    end += stage.durationMs;
    if (elapsedMs < end) return index;
  }
  return -1;
}

/** A duration for people: "0.5 s", "10 s", "90 s" (milliseconds kept, never rounded to whole seconds). */
export function formatDuration(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** "2000/s for 0.5 s". */
export function formatStage(stage: Stage): string {
  return `${Number(stage.ratePerSecond.toFixed(3))}/s for ${formatDuration(stage.durationMs)}`;
}
