import { Script } from '../redis/script.js';

const dir = new URL('./lua/', import.meta.url);

/** The campaign's Lua scripts. Each file's header documents its KEYS, ARGV and returns. */
export const campaignScripts = {
  claim: Script.load(dir, 'claim-3.lua'),
  restore: Script.load(dir, 'restore-2.lua'),
};
