// What a load test created on the target is put away at the end (unless --keep): rooms and
// campaigns archived (their data kept, hidden from the default lists), the partner key revoked.
import type { AdminClient } from './admin-client.js';
import { describeBody } from './admin-client.js';
import type { Created } from './scenarios.js';

const ACTIONS: Record<Created['kind'], { method: string; path: (id: string) => string; done: string; undone: string }> = {
  room: { method: 'POST', path: (id) => `/v1/rooms/${encodeURIComponent(id)}/archive`, done: 'archived', undone: 'not archived' },
  campaign: {
    method: 'POST',
    path: (id) => `/v1/campaigns/${encodeURIComponent(id)}/archive`,
    done: 'archived',
    undone: 'not archived',
  },
  partner: { method: 'DELETE', path: (id) => `/v1/partners/${encodeURIComponent(id)}`, done: 'revoked', undone: 'not revoked' },
};

export interface CleanUpLine {
  warning: boolean;
  text: string;
}

/**
 * Archives or revokes each thing created, in order. A failure (a target without the archive
 * endpoints answers 404) is a warning line, never a failure of the run: the audit is what the run
 * is judged by.
 */
export async function cleanUp(admin: AdminClient, created: readonly Created[]): Promise<CleanUpLine[]> {
  const lines: CleanUpLine[] = [];
  for (const { kind, id } of created) {
    const action = ACTIONS[kind];
    const path = action.path(id);
    const what = kind === 'partner' ? `partner key ${id}` : `${kind} ${id}`;
    try {
      const res = await admin.call(action.method, path);
      if (res.status < 300) lines.push({ warning: false, text: `${action.done} ${what} (--keep would have kept it)` });
      else
        lines.push({
          warning: true,
          text: `warning: ${what} ${action.undone}: ${action.method} ${path} answered ${res.status} (${describeBody(res.body)})`,
        });
    } catch (err) {
      lines.push({ warning: true, text: `warning: ${what} ${action.undone}: ${(err as Error).message}` });
    }
  }
  return lines;
}
