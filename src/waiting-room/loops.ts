import type { Loops } from '../background.js';
import type { RoomRepository } from './repository.js';
import type { WaitingRoomService } from './service.js';

// Rooms created on another instance are picked up within this time (this instance's own at once).
const ROOM_LIST_REFRESH_MS = 1_000;
// Poll times reach Redis within this time (see seen-tracker.ts for why it must stay well below 3 s).
const SEEN_FLUSH_MS = 500;
/**
 * A room where nobody waits and no session is active (a past event, a quiet day) is stepped only
 * this often, unless someone enters it through this instance. Stepping every room every interval
 * made a deployment's admission work grow with every room it ever had, not with its live ones.
 * An entry through another instance is admitted by that instance's loop at once; this bound only
 * matters if that instance dies first.
 */
const IDLE_ROOM_STEP_MS = 2_000;

/**
 * The waiting room's background work, run by every instance: the admission step of every room,
 * and the flush of poll times. No leader: the admission script is safe under any number of
 * concurrent callers.
 */
export function startWaitingRoomLoops(
  loops: Loops,
  service: WaitingRoomService,
  rooms: RoomRepository,
  intervalMs: number,
  onAdmitted: (roomId: string, count: number) => void = () => {},
): void {
  let roomIds: string[] = [];
  let fetchedAt = 0;
  /** Idle rooms, and when they are due for their next step. */
  const idleUntil = new Map<string, number>();
  loops.every('admission', intervalMs, async () => {
    if (Date.now() - fetchedAt > ROOM_LIST_REFRESH_MS || service.roomsChanged) {
      service.roomsChanged = false;
      roomIds = (await rooms.list()).map((r) => r.id);
      fetchedAt = Date.now();
    }
    const entered = service.takeEnteredRooms();
    for (const roomId of roomIds) {
      const due = idleUntil.get(roomId);
      if (due !== undefined && Date.now() < due && !entered.has(roomId)) continue;
      const result = await service.admit(roomId);
      if (result?.idle) idleUntil.set(roomId, Date.now() + IDLE_ROOM_STEP_MS);
      else idleUntil.delete(roomId);
      if (result && result.admitted > 0) onAdmitted(roomId, result.admitted);
      if (result === null) {
        // Redis lost this room: restore its configuration from the record.
        const record = await rooms.get(roomId);
        if (record) await service.writeConfig(record);
      }
    }
  });
  loops.every('poll-times', SEEN_FLUSH_MS, () => service.seen.flush());
}
