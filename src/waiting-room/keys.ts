/** Redis keys of one room. All share the hash tag {room:<id>}, so they live in one Cluster slot. */
export function roomKeys(prefix: string, roomId: string) {
  const base = `${prefix}:{room:${roomId}}`;
  return {
    cfg: `${base}:cfg`,
    st: `${base}:st`,
    users: `${base}:users`,
    tickets: `${base}:tickets`,
    status: `${base}:status`,
    active: `${base}:active`,
    seen: `${base}:seen`,
    left: `${base}:left`,
  };
}

export type RoomKeys = ReturnType<typeof roomKeys>;
