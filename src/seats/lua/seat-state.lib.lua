--[[
  Shared by every seat script (scripts.ts prepends it): a show's seat state, read and written
  through per-call caches so that a batch of holds touching the same rows costs one HGET and one
  HSET per row and per summary, whatever the batch's size.

  The state (all keys under the show's hash tag):
    st      hash: ready, holdMs, maxExt, maxPerUser, hook ("1" when the show has a webhook),
            counters f, h, s (free, held, sold) and f:<category>, h:<category>, s:<category>
    rows    hash: row number (1..R, the venue's order) -> one character per seat:
            "f" free, "h" held, "s" sold
    runs    hash: "*" -> one byte per row, "c:<category>" -> one byte per row of that category
            (in order): 40 + the row's longest run of free seats (capped at 215). A row with N
            free seats side by side is found with one string.find over these bytes (C speed), not
            by reading the rows: the cost of best-available stays bounded on 100,000 seats.
    layout  hash (written once): "m:<row>" -> "<category>|<position in its category's runs>",
            "r:<category>" -> the category's row numbers (2 bytes each, big-endian),
            "a" -> the rows that have accessible seats (2 bytes each), "a:<row>" -> one
            character per seat, "a" accessible or "-"
]]
local RUN_BASE = 40
local RUN_CAP = 215
local FREE = 102 -- string.byte('f')

local State = {}
State.__index = State

local function newState(kSt, kRows, kRuns, kLayout)
  return setmetatable({
    kSt = kSt, kRows = kRows, kRuns = kRuns, kLayout = kLayout,
    rowCache = {}, rowDirty = {}, runsCache = {}, runsDirty = {}, metaCache = {}, layoutCache = {}, counts = {},
  }, State)
end

--- Whether the seat keys exist. A script decides only when st says ready and they do: keys gone
--- one by one (an eviction, a cleanup by prefix while requests run) read as a lost state, to be
--- rebuilt ({-1}), instead of failing in the middle of a decision.
function State:keysPresent()
  return redis.call('EXISTS', self.kRows, self.kRuns, self.kLayout) == 3
end

function State:row(r)
  local s = self.rowCache[r]
  if s == nil then
    s = redis.call('HGET', self.kRows, r)
    if not s then error('seat state: row ' .. r .. ' is missing') end
    self.rowCache[r] = s
  end
  return s
end

function State:layoutField(field)
  local v = self.layoutCache[field]
  if v == nil then
    v = redis.call('HGET', self.kLayout, field) or ''
    self.layoutCache[field] = v
  end
  return v
end

function State:meta(r)
  local m = self.metaCache[r]
  if m == nil then
    local cat, pos = string.match(self:layoutField('m:' .. r), '^(.*)|(%d+)$')
    m = { cat = cat, pos = tonumber(pos) }
    self.metaCache[r] = m
  end
  return m
end

function State:runsOf(field)
  local s = self.runsCache[field]
  if s == nil then
    s = redis.call('HGET', self.kRuns, field) or ''
    self.runsCache[field] = s
  end
  return s
end

--- The row number at position i of a runs field ("*": the identity).
function State:rowAt(field, i)
  if field == '*' then return i end
  local packed = self:layoutField('r:' .. string.sub(field, 3))
  local hi, lo = string.byte(packed, 2 * i - 1, 2 * i)
  return hi * 256 + lo
end

local function longestRun(row)
  local best = 0
  for run in string.gmatch(row, 'f+') do
    if #run > best then best = #run end
  end
  return best
end

local function setByte(s, i, ch)
  return string.sub(s, 1, i - 1) .. ch .. string.sub(s, i + 1)
end

function State:setRow(r, row)
  self.rowCache[r] = row
  self.rowDirty[r] = true
  local byte = string.char(RUN_BASE + math.min(longestRun(row), RUN_CAP))
  local all = self:runsOf('*')
  -- Most changes leave the row's longest free run as it was: then the summaries stay untouched.
  if string.sub(all, r, r) == byte then return end
  self.runsCache['*'] = setByte(all, r, byte)
  self.runsDirty['*'] = true
  local m = self:meta(r)
  local field = 'c:' .. m.cat
  self.runsCache[field] = setByte(self:runsOf(field), m.pos, byte)
  self.runsDirty[field] = true
end

function State:count(cat, ch, n)
  local k = ch .. ':' .. cat
  self.counts[k] = (self.counts[k] or 0) + n
  self.counts[ch] = (self.counts[ch] or 0) + n
end

--- A counter as it stands, this call's changes included.
function State:counter(field)
  return tonumber(redis.call('HGET', self.kSt, field) or '0') + (self.counts[field] or 0)
end

--- Seats as "r:p,r:p" -> { {r, p}, ... }
local function parseSeats(text)
  local seats = {}
  for r, p in string.gmatch(text, '(%d+):(%d+)') do seats[#seats + 1] = { tonumber(r), tonumber(p) } end
  return seats
end

local function formatSeats(seats)
  local parts = {}
  for i, s in ipairs(seats) do parts[i] = s[1] .. ':' .. s[2] end
  return table.concat(parts, ',')
end

--- Changes the seats whose status is `from` to `to`; returns how many changed.
function State:paint(seats, from, to)
  local byRow, order = {}, {}
  for _, s in ipairs(seats) do
    if not byRow[s[1]] then
      byRow[s[1]] = {}
      order[#order + 1] = s[1]
    end
    table.insert(byRow[s[1]], s[2])
  end
  local total = 0
  for _, r in ipairs(order) do
    local row = self:row(r)
    local n = 0
    for _, p in ipairs(byRow[r]) do
      if string.sub(row, p, p) == from then
        row = setByte(row, p, to)
        n = n + 1
      end
    end
    if n > 0 then
      self:setRow(r, row)
      local cat = self:meta(r).cat
      self:count(cat, from, -n)
      self:count(cat, to, n)
      total = total + n
    end
  end
  return total
end

--- Writes what this call changed: rows, run summaries, counters.
function State:flush()
  local args = {}
  for r in pairs(self.rowDirty) do
    args[#args + 1] = r
    args[#args + 1] = self.rowCache[r]
    if #args >= 1000 then
      redis.call('HSET', self.kRows, unpack(args))
      args = {}
    end
  end
  if #args > 0 then redis.call('HSET', self.kRows, unpack(args)) end
  -- One command per key, not one per field: a call from Lua costs more than the work it does here.
  local runs = {}
  for field in pairs(self.runsDirty) do
    runs[#runs + 1] = field
    runs[#runs + 1] = self.runsCache[field]
  end
  if #runs > 0 then redis.call('HSET', self.kRuns, unpack(runs)) end
  local fields = {}
  for field, n in pairs(self.counts) do
    if n ~= 0 then fields[#fields + 1] = field end
  end
  if #fields > 0 then
    local current = redis.call('HMGET', self.kSt, unpack(fields))
    local values = {}
    for i, field in ipairs(fields) do
      values[#values + 1] = field
      values[#values + 1] = tonumber(current[i] or '0') + self.counts[field]
    end
    redis.call('HSET', self.kSt, unpack(values))
  end
  self.rowDirty, self.runsDirty, self.counts = {}, {}, {}
end

--- Whether the hold (or booking) record `rec` may be acted on by the actor: an operator ("a"),
--- the partner that made it ("p"), or the user it is for, holding a room token ("u").
local function owns(rec, kind, id)
  return kind == 'a' or (kind == 'p' and rec.p == id) or (kind == 'u' and rec.p == '' and rec.u == id)
end

local function addUserSeats(kUsers, userId, n)
  local left = redis.call('HINCRBY', kUsers, userId, n)
  if left <= 0 then redis.call('HDEL', kUsers, userId) end
end
