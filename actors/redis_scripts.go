package actors

import "github.com/redis/rueidis"

// The cluster's presence lives in Redis, changed only by these scripts so that every
// change is atomic (Redis 7.0 has no per-field hash expiry, hence the per-node leases).
//
//	<prefix>nodes              ZSET  node id → lease expiry (ms, Redis's clock)
//	<prefix>node:<id>:users    SET   users online on that node
//	<prefix>counts             HASH  user id → number of nodes where the user is online
//	<prefix>profiles           HASH  user id → user JSON (while online anywhere)
//	<prefix>version            STRING the global version, one per global join or leave
//	<prefix>events             STREAM every global join and leave, in order, with its version
//	<prefix>sockets:<uid>      HASH  node id → bound sockets of the user on that node
//	<prefix>node:<id>:sockets  SET   users with bound sockets on that node
//	<prefix>node:<id>:sockets-seq STRING the last sockets write of that node applied
//	<prefix>node:<id>:rooms    SET   "<uid> <room>": the room memberships through that node
//	<prefix>room:<name>:nodes  HASH  user id → number of nodes through which the user is in the room
//	<prefix>room:<name>:users  HASH  user id → user JSON (while a member through any node)
//	<prefix>room:<name>:version STRING the room's version, one per join or leave of the room
//
// (room_scripts.go has the rooms' scripts; a dead node's memberships go with its users.)
//
// A user joins the cluster when its count goes 0 → 1 and leaves when it goes back to 0;
// each such transition increments the version, is appended to the stream and is
// published on the notifications channel as {"task": "user_online"|"user_offline",
// "user_id", "username", "node", "version", "user"}. Per-node keys are built inside the
// scripts (dead nodes are only known there), so Redis Cluster is not supported.
//
// Common KEYS: 1 counts, 2 profiles, 3 version, 4 events. Common ARGV: 1 channel,
// 2 stream max length.
const luaPresenceLib = luaRoomLib + `
local function publish(task, kind, uid, node)
  local v = redis.call('INCR', KEYS[3])
  local user = cjson.null
  local username = ''
  local prof = redis.call('HGET', KEYS[2], uid)
  if prof then
    user = cjson.decode(prof)
    username = user.username or ''
  end
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[2], '*',
    'type', kind, 'user_id', uid, 'username', username, 'node', node, 'version', v)
  redis.call('PUBLISH', ARGV[1], cjson.encode({task = task, user_id = tonumber(uid),
    username = username, node = node, version = v, user = user}))
end
local function join(set, uid, prof, node)
  if prof and prof ~= '' then redis.call('HSET', KEYS[2], uid, prof) end
  if redis.call('SADD', set, uid) == 1 then
    if redis.call('HINCRBY', KEYS[1], uid, 1) == 1 then publish('user_online', 'join', uid, node) end
  end
end
local function leave(set, uid, node)
  if redis.call('SREM', set, uid) == 1 then
    if redis.call('HINCRBY', KEYS[1], uid, -1) <= 0 then
      redis.call('HDEL', KEYS[1], uid)
      publish('user_offline', 'leave', uid, node)
      redis.call('HDEL', KEYS[2], uid)
    end
  end
end
local function drop_node(prefix, node)
  local set = prefix .. 'node:' .. node .. ':users'
  for _, uid in ipairs(redis.call('SMEMBERS', set)) do leave(set, uid, node) end
  redis.call('DEL', set)
  local rooms = prefix .. 'node:' .. node .. ':rooms'
  for _, m in ipairs(redis.call('SMEMBERS', rooms)) do
    local uid, room = room_entry(m)
    room_leave(prefix, ARGV[2], node, room, uid)
  end
  redis.call('DEL', rooms)
  local socks = prefix .. 'node:' .. node .. ':sockets'
  for _, uid in ipairs(redis.call('SMEMBERS', socks)) do redis.call('HDEL', prefix .. 'sockets:' .. uid, node) end
  redis.call('DEL', socks, socks .. '-seq')
  redis.call('ZREM', prefix .. 'nodes', node)
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`

// scriptChange applies a batch of this node's transitions.
// KEYS 5: the node's users set. ARGV 3: node id; then (op "1"|"0", uid, user JSON) triples.
var scriptChange = rueidis.NewLuaScript(luaPresenceLib + `
for i = 4, #ARGV, 3 do
  if ARGV[i] == '1' then join(KEYS[5], ARGV[i+1], ARGV[i+2], ARGV[3])
  else leave(KEYS[5], ARGV[i+1], ARGV[3]) end
end
return 1
`)

// scriptSync makes the node's users set exactly the given list (after a reconnect).
// KEYS 5: the node's users set. ARGV 3: node id; then (uid, user JSON) pairs.
var scriptSync = rueidis.NewLuaScript(luaPresenceLib + `
local want = {}
for i = 4, #ARGV, 2 do want[ARGV[i]] = ARGV[i+1] end
for _, uid in ipairs(redis.call('SMEMBERS', KEYS[5])) do
  if want[uid] == nil then leave(KEYS[5], uid, ARGV[3]) end
end
for uid, prof in pairs(want) do join(KEYS[5], uid, prof, ARGV[3]) end
return 1
`)

// scriptLease renews the node's lease. KEYS 1: nodes. ARGV 1: node id, 2: ttl ms.
// Returns 1 when the lease was absent (first lease, or the node was dropped meanwhile:
// what it wrote is gone), else 0.
var scriptLease = rueidis.NewLuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
`)

// scriptReap drops every node whose lease ran out: its users leave (and the leaves are
// published) unless online on another node. Returns the dropped node ids.
// ARGV 3: prefix.
var scriptReap = rueidis.NewLuaScript(luaPresenceLib + `
local dead = redis.call('ZRANGEBYSCORE', ARGV[3] .. 'nodes', '-inf', now_ms())
for _, node in ipairs(dead) do drop_node(ARGV[3], node) end
return dead
`)

// scriptGoodbye removes this node from the cluster at shutdown. ARGV 3: prefix, 4: node id.
var scriptGoodbye = rueidis.NewLuaScript(luaPresenceLib + `
drop_node(ARGV[3], ARGV[4])
return 1
`)

// scriptRead returns the global state: {version, uid, user JSON, uid, user JSON, …}.
var scriptRead = rueidis.NewLuaScript(`
local out = {redis.call('GET', KEYS[3]) or '0'}
for _, uid in ipairs(redis.call('HKEYS', KEYS[1])) do
  out[#out + 1] = uid
  out[#out + 1] = redis.call('HGET', KEYS[2], uid) or ''
end
return out
`)

// The limit on bound sockets per user (places.go) keeps, per user, one count per node
// (<prefix>sockets:<uid>), changed only by the node itself through the two scripts
// below, one call at a time from its places actor. Each call carries a sequence number
// that grows with every call of the node; a call whose number is not above the last one
// applied (a call that timed out and arrived late) changes nothing, and a node whose
// sequence key is gone (Redis restarted, or the node was dropped as dead) must write
// its whole state again before anything else. Common ARGV: 1 prefix, 2 node id, 3 seq.

// scriptPlaces applies a batch of reservations and releases in order. ARGV 4: the
// limit; then (op "+"|"-", uid) pairs. A reservation is granted when the user's
// sockets on every node number fewer than the limit. Returns {"ok", r…} with one r per
// pair: "1" granted / released, "0" refused, "-1" released but the count was already
// zero (this node's counts had drifted); or {"lost"} / {"stale"}, and nothing changed.
var scriptPlaces = rueidis.NewLuaScript(`
local prefix, node, seq, limit = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local set = prefix .. 'node:' .. node .. ':sockets'
local last = redis.call('GET', set .. '-seq')
if not last then return {'lost'} end
if tonumber(last) >= seq then return {'stale'} end
redis.call('SET', set .. '-seq', seq)
local out = {'ok'}
for i = 5, #ARGV, 2 do
  local uid = ARGV[i + 1]
  local key = prefix .. 'sockets:' .. uid
  if ARGV[i] == '+' then
    local total = 0
    for _, v in ipairs(redis.call('HVALS', key)) do total = total + tonumber(v) end
    if limit > 0 and total >= limit then
      out[#out + 1] = '0'
    else
      redis.call('HINCRBY', key, node, 1)
      redis.call('SADD', set, uid)
      out[#out + 1] = '1'
    end
  else
    local n = redis.call('HINCRBY', key, node, -1)
    if n <= 0 then
      redis.call('HDEL', key, node)
      redis.call('SREM', set, uid)
    end
    if n < 0 then out[#out + 1] = '-1' else out[#out + 1] = '1' end
  end
end
return out
`)

// scriptPlacesSync makes the node's counts exactly the given ones (after a reconnect,
// or when they may have drifted). ARGV 4…: (uid, count) pairs. Returns "ok" or
// "stale".
var scriptPlacesSync = rueidis.NewLuaScript(`
local prefix, node, seq = ARGV[1], ARGV[2], tonumber(ARGV[3])
local set = prefix .. 'node:' .. node .. ':sockets'
local last = redis.call('GET', set .. '-seq')
if last and tonumber(last) >= seq then return 'stale' end
redis.call('SET', set .. '-seq', seq)
local want = {}
for i = 4, #ARGV, 2 do want[ARGV[i]] = ARGV[i + 1] end
for _, uid in ipairs(redis.call('SMEMBERS', set)) do
  if want[uid] == nil then
    redis.call('HDEL', prefix .. 'sockets:' .. uid, node)
    redis.call('SREM', set, uid)
  end
end
for uid, n in pairs(want) do
  redis.call('HSET', prefix .. 'sockets:' .. uid, node, n)
  redis.call('SADD', set, uid)
end
return 'ok'
`)
