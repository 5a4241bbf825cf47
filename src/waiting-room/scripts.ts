import { Script } from '../redis/script.js';

const dir = new URL('./lua/', import.meta.url);

/** The room's Lua scripts, loaded once. Each file's header documents its KEYS, ARGV and returns. */
export const roomScripts = {
  enter: Script.load(dir, 'enter-6.lua'),
  admit: Script.load(dir, 'admit-6.lua'),
  session: Script.load(dir, 'session-4.lua'),
  extend: Script.load(dir, 'extend-3.lua'),
  finish: Script.load(dir, 'finish-4.lua'),
};
