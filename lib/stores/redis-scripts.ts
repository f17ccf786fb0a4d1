/*
 * The Lua scripts of the Redis store. Each runs atomically, so that one
 * round trip takes or frees a call's lock together with its record.
 *
 * Per call, two hashes (one hash tag, so that they share a cluster slot):
 * - `<prefix>{<id>}`: `record` (the JSON record), `fence` (the last ticket
 *   issued), `written` (the tickets of the last writes of the record, the
 *   newest first, so that a write whose answer was lost can be told done or
 *   not: see `CHECK_WRITE`), and while the lock is held `holder` (its ticket)
 *   and `until` (when its lease runs out, in ms of the Redis clock).
 * - `<prefix>{<id>}:queue`: the tickets waiting in line, each with the time
 *   it lapses unless its waiter comes back.
 *
 * Tickets come from a counter, so they are issued in arrival order and the
 * lowest waiting ticket goes first. A ticket is also the fencing token:
 * only the holder's ticket can write or release. The counter of a new key
 * (a call's first event, or its first since its key was deleted or expired)
 * starts from the Redis clock in microseconds, so that a ticket is never
 * issued twice for a call: a holder whose lease lapsed, its key gone since,
 * can never release or write under a lock of the key's next life. (Each
 * script takes over a microsecond, so a life issues fewer tickets than the
 * microseconds that pass before the next one starts.)
 */

/** How many of the last writes' tickets a call's `written` keeps. */
export const WRITTEN_KEPT = 8

/**
 * KEYS: data, queue. ARGV: ticket ('' for a new one), lease ms, keep ms
 * (how long a waiting ticket stays valid), channel, id.
 * Returns { ticket, -1 } while waiting; { ticket, 0 or 1, record? } once
 * the lock is taken, 1 when other tickets wait behind; { ticket, -2 } when
 * the ticket given is no longer in line (it lapsed, or the line was
 * deleted): tickets issued after it may have been served meanwhile, so it
 * can never take the lock, and its event is refused.
 */
export const LOCK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease, keep = tonumber(ARGV[2]), tonumber(ARGV[3])
local function atLeast (key, ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end
local ticket = ARGV[1]
if ticket == '' then
  redis.call('HSETNX', KEYS[1], 'fence', t[1] .. string.format('%06d', tonumber(t[2])))
  ticket = string.format('%d', redis.call('HINCRBY', KEYS[1], 'fence', 1))
else
  local lapses = redis.call('HGET', KEYS[2], ticket)
  if not lapses or tonumber(lapses) <= now then
    redis.call('HDEL', KEYS[2], ticket)
    return { ticket, -2 }
  end
end
local first, behind = true, 0
local queue = redis.call('HGETALL', KEYS[2])
for i = 1, #queue, 2 do
  if queue[i] ~= ticket then
    if tonumber(queue[i + 1]) <= now then
      redis.call('HDEL', KEYS[2], queue[i])
    elseif tonumber(queue[i]) < tonumber(ticket) then
      first = false
    else
      behind = 1
    end
  end
end
local held = redis.call('HMGET', KEYS[1], 'holder', 'until')
if first and (not held[1] or tonumber(held[2]) <= now) then
  redis.call('HDEL', KEYS[2], ticket)
  redis.call('HSET', KEYS[1], 'holder', ticket, 'until', string.format('%d', now + lease))
  atLeast(KEYS[1], lease)
  return { ticket, behind, redis.call('HGET', KEYS[1], 'record') }
end
if ARGV[1] == '' then redis.call('PUBLISH', ARGV[4], 'queued:' .. ARGV[5]) end
redis.call('HSET', KEYS[2], ticket, string.format('%d', now + keep))
atLeast(KEYS[2], keep)
atLeast(KEYS[1], keep)
return { ticket, -1 }
`

/**
 * KEYS: data, queue, due (the sorted set of calls by their first delay's
 * due time). ARGV: ticket, what to write ('set', 'delete' or 'keep'),
 * record JSON, ttl ms, channel, id, due time ('' when the call has no delay).
 * Returns 1, or 0 when the ticket no longer holds the lock (nothing written).
 * Deleting a record keeps the fence while tickets wait, until the line
 * lapses: the tickets issued after it count on from theirs, and a save of
 * one of theirs can still be told done or not (`CHECK_WRITE`).
 * Deleting a call says so on the channel (`ended:<id>`), whether or not it
 * had a record: other instances holding the call let go of it, one whose
 * events were never kept (they failed on the store) too.
 */
export const UNLOCK = `
if redis.call('HGET', KEYS[1], 'holder') ~= ARGV[1] then return 0 end
if ARGV[2] == 'delete' then
  local line = redis.call('PTTL', KEYS[2])
  if line > 0 then
    -- Tickets wait in line: the fence stays, and lapses with the line.
    redis.call('HDEL', KEYS[1], 'record', 'holder', 'until')
    redis.call('PEXPIRE', KEYS[1], line)
  else
    redis.call('DEL', KEYS[1])
  end
  redis.call('ZREM', KEYS[3], ARGV[6])
  redis.call('PUBLISH', ARGV[5], 'ended:' .. ARGV[6])
else
  redis.call('HDEL', KEYS[1], 'holder', 'until')
  if ARGV[2] == 'set' then
    local written = ARGV[1]
    local before = redis.call('HGET', KEYS[1], 'written')
    if before then
      local kept = 1
      for earlier in string.gmatch(before, '[^,]+') do
        if kept == ${WRITTEN_KEPT} then break end
        written = written .. ',' .. earlier
        kept = kept + 1
      end
    end
    redis.call('HSET', KEYS[1], 'record', ARGV[3], 'written', written)
    redis.call('PEXPIRE', KEYS[1], ARGV[4])
    if ARGV[7] == '' then redis.call('ZREM', KEYS[3], ARGV[6]) else redis.call('ZADD', KEYS[3], ARGV[7], ARGV[6]) end
  end
end
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PUBLISH', ARGV[5], 'released:' .. ARGV[6]) end
return 1
`

/**
 * KEYS: data. ARGV: ticket, lease ms.
 * Returns 1 once the lease runs `lease` ms from now, or 0 when the ticket
 * no longer holds the lock.
 */
export const RENEW = `
if redis.call('HGET', KEYS[1], 'holder') ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'until', string.format('%d', now + tonumber(ARGV[2])))
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`

/**
 * KEYS: data, queue. ARGV: ticket, channel, id.
 * Whether the UNLOCK of `ticket` that wrote the record, its answer lost,
 * was done: 1 when `written` names the ticket; 0 when it was not done: the
 * ticket still holds the lock (then the lock is released, as that UNLOCK
 * would have), or the writes since the ticket was issued are all in
 * `written` and it is not among them; -1 when it can no longer be told: the
 * call's key is gone (ended, or expired), or more writes came after it than
 * `written` keeps. Writes come in the order of their tickets (a ticket
 * writes only while it holds the lock, and the lock goes to the lowest
 * waiting ticket), so the oldest ticket kept says how far back they go.
 */
export const CHECK_WRITE = `
local data = redis.call('HMGET', KEYS[1], 'holder', 'written', 'fence')
if data[1] == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'holder', 'until')
  if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('PUBLISH', ARGV[2], 'released:' .. ARGV[3]) end
  return 0
end
if not data[3] then return -1 end
if not data[2] then return 0 end
local kept, oldest = 0, nil
for ticket in string.gmatch(data[2], '[^,]+') do
  if ticket == ARGV[1] then return 1 end
  kept = kept + 1
  oldest = tonumber(ticket)
end
if kept == ${WRITTEN_KEPT} and oldest > tonumber(ARGV[1]) then return -1 end
return 0
`
