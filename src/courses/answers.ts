import type { ShortcutAnswer } from '../capability.js';
import { formatMinutes } from './domain/meetings.js';
import type { Meeting } from './domain/types.js';
import type { CourseFill, TermRecord } from './repository.js';
import type { Queued, RequestStatus } from './service.js';

// The bodies of the course registration API, shared by the routes and their shortcuts.

/** A request's status is about now: never cached by anyone on the way. */
const NO_STORE = { 'cache-control': 'no-store' };

export function queuedAnswer(queued: Queued): ShortcutAnswer {
  return { status: 202, body: queued, headers: NO_STORE };
}

export function statusAnswer(status: RequestStatus): ShortcutAnswer {
  return { status: 200, body: status, headers: NO_STORE };
}

export function meetingsOut(meetings: readonly Meeting[]) {
  return meetings.map((m) => ({ day: m.day, start: formatMinutes(m.start), end: formatMinutes(m.end) }));
}

export function courseBody(c: CourseFill) {
  return {
    id: c.id,
    title: c.title,
    credits: c.credits,
    capacity: c.capacity,
    waitlist: c.waitlistSize,
    meetings: meetingsOut(c.meetings),
    requires: c.requires,
    linked: c.linked,
    enrolled: c.enrolled,
    waitlisted: c.waitlisted,
  };
}

export function termBody(t: TermRecord, progress?: object) {
  return {
    id: t.id,
    name: t.name,
    minCredits: t.minCredits,
    maxCredits: t.maxCredits,
    roomId: t.roomId,
    windows: t.windows.map((w) => ({ group: w.group, opensAt: w.opensAt.toISOString() })),
    closesAt: t.closesAt?.toISOString() ?? null,
    webhookUrl: t.webhookUrl,
    createdAt: t.createdAt.toISOString(),
    ...progress,
  };
}
