import type { Loop } from '../capability.js';
import type { RoomRecord, RoomRepository } from './repository.js';
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
/** Rooms stepped at once by one instance. */
const CONCURRENT_ROOMS = 16;

/**
 * The waiting room's background work, run by every instance: the admission step of every room,
 * and the flush of poll times. No leader: the admission script is safe under any number of
 * concurrent callers.
 */
export function roomLoops(
  service: WaitingRoomService,
  rooms: RoomRepository,
  intervalMs: number,
  onAdmitted: (roomId: string, count: number) => void,
): Loop[] {
  let records: RoomRecord[] = [];
  let fetchedAt = 0;
  /** Idle rooms, and when they are due for their next step. */
  const idleUntil = new Map<string, number>();

  /** One room's step; its failure (the step's, the restore's) is that room's alone. */
  async function stepRoom(record: RoomRecord, entered: Set<string>): Promise<void> {
    const roomId = record.id;
    const due = idleUntil.get(roomId);
    if (due !== undefined && Date.now() < due && !entered.has(roomId)) return;
    const result = await service.admit(roomId);
    if (result === null) {
      // Redis lost this room: restore its configuration from the record. Its queue starts empty,
      // so it is idle until someone enters.
      await service.writeConfig(record);
      idleUntil.set(roomId, Date.now() + IDLE_ROOM_STEP_MS);
      return;
    }
    if (result.idle) idleUntil.set(roomId, Date.now() + IDLE_ROOM_STEP_MS);
    else idleUntil.delete(roomId);
    if (result.admitted > 0) onAdmitted(roomId, result.admitted);
  }

  const admission: Loop = {
    name: 'admission',
    everyMs: intervalMs,
    async step() {
      if (Date.now() - fetchedAt > ROOM_LIST_REFRESH_MS || service.roomsChanged) {
        service.roomsChanged = false;
        records = await rooms.list();
        fetchedAt = Date.now();
      }
      const entered = service.takeEnteredRooms();
      // Rooms are stepped a few at a time: a deployment with many rooms (or one whose Redis lost
      // them all) is not stepped one round trip after the other.
      const failures: Array<{ roomId: string; err: unknown }> = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(CONCURRENT_ROOMS, records.length) }, async () => {
          while (next < records.length) {
            const record = records[next++]!;
            await stepRoom(record, entered).catch((err: unknown) => failures.push({ roomId: record.id, err }));
          }
        }),
      );
      if (failures.length > 0) {
        throw new AggregateError(
          failures.map((f) => f.err),
          `admission failed in ${failures.length} room(s): ${failures.map((f) => f.roomId).join(', ')}`,
        );
      }
    },
  };
  return [admission, { name: 'poll-times', everyMs: SEEN_FLUSH_MS, step: () => service.seen.flush() }];
}
