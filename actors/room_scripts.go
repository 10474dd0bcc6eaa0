package actors

import "github.com/redis/rueidis"

// Rooms across nodes (keys in redis_scripts.go). A user is a member of a room while at
// least one node says so: each node adds "<uid> <room>" to its rooms set when the user
// becomes a member through it (a first socket joined) and removes it when the user no
// longer is (the last socket left, after the grace), and the room's per-user node
// count goes up and down with it. The room changes when that count goes 0 → 1 (join)
// or 1 → 0 (leave): its version is incremented, the change is appended to
// <prefix>events ({type: room_join | room_leave, room, user_id, username, node,
// version: the room's}) and published on the room's channel <prefix>room:<name>, to
// which only nodes with a socket in the room subscribe:
//
//	{"room": "…", "uid": "42", "present": true, "node": "…", "version": 7, "user": {…} | null}
//
// A room's version lives as long as the room has members, and an hour after the last
// left (so that a node still attached to the room never sees versions start again).
// A dead node's memberships are left in drop_node (redis_scripts.go) with its users.

// luaRoomLib is the room half of the scripts' library; luaPresenceLib includes it.
// Functions take the prefix and the stream's length explicitly: they run from scripts
// of either family.
const luaRoomLib = `
local function room_entry(m)
  local sp = string.find(m, ' ', 1, true)
  return string.sub(m, 1, sp - 1), string.sub(m, sp + 1)
end
local function room_publish(prefix, maxlen, room, kind, uid, node, prof)
  local rk = prefix .. 'room:' .. room
  local v = redis.call('INCR', rk .. ':version')
  local username = ''
  if prof then
    local ok, u = pcall(cjson.decode, prof)
    if ok and type(u) == 'table' and type(u.username) == 'string' then username = u.username end
  end
  redis.call('XADD', prefix .. 'events', 'MAXLEN', '~', maxlen, '*',
    'type', kind, 'room', room, 'user_id', uid, 'username', username, 'node', node, 'version', v)
  local present = 'false'
  if kind == 'room_join' then present = 'true' end
  redis.call('PUBLISH', rk, '{"room":' .. cjson.encode(room) .. ',"uid":"' .. uid .. '","present":' .. present ..
    ',"node":' .. cjson.encode(node) .. ',"version":' .. v .. ',"user":' .. (prof or 'null') .. '}')
end
local function room_join(prefix, maxlen, node, room, uid, prof)
  local rk = prefix .. 'room:' .. room
  if redis.call('SADD', prefix .. 'node:' .. node .. ':rooms', uid .. ' ' .. room) == 1 then
    redis.call('HSET', rk .. ':users', uid, prof)
    if redis.call('HINCRBY', rk .. ':nodes', uid, 1) == 1 then
      redis.call('PERSIST', rk .. ':version')
      room_publish(prefix, maxlen, room, 'room_join', uid, node, prof)
    end
  end
end
local function room_leave(prefix, maxlen, node, room, uid)
  local rk = prefix .. 'room:' .. room
  if redis.call('SREM', prefix .. 'node:' .. node .. ':rooms', uid .. ' ' .. room) == 1 then
    if redis.call('HINCRBY', rk .. ':nodes', uid, -1) <= 0 then
      redis.call('HDEL', rk .. ':nodes', uid)
      local prof = redis.call('HGET', rk .. ':users', uid)
      redis.call('HDEL', rk .. ':users', uid)
      room_publish(prefix, maxlen, room, 'room_leave', uid, node, prof or nil)
      if redis.call('HLEN', rk .. ':nodes') == 0 then redis.call('EXPIRE', rk .. ':version', 3600) end
    end
  end
end
local function room_leased(prefix, node)
  return redis.call('ZSCORE', prefix .. 'nodes', node)
end
`

// scriptRoomChange applies a batch of this node's room transitions, in order. ARGV 1:
// prefix, 2: stream length, 3: node id; then (op "1"|"0", room, uid, user JSON)
// quadruples. Returns "ok", or "lost" (and changes nothing) when the node holds no
// lease: it was dropped as dead, or Redis lost everything; it must resynchronise.
var scriptRoomChange = rueidis.NewLuaScript(luaRoomLib + `
if not room_leased(ARGV[1], ARGV[3]) then return 'lost' end
for i = 4, #ARGV, 4 do
  if ARGV[i] == '1' then room_join(ARGV[1], ARGV[2], ARGV[3], ARGV[i+1], ARGV[i+2], ARGV[i+3])
  else room_leave(ARGV[1], ARGV[2], ARGV[3], ARGV[i+1], ARGV[i+2]) end
end
return 'ok'
`)

// scriptRoomSync makes the node's memberships exactly the given ones (after a
// reconnect, or a lease lost). ARGV 1: prefix, 2: stream length, 3: node id; then
// (room, uid, user JSON) triples. Returns "ok" or "lost", as scriptRoomChange.
var scriptRoomSync = rueidis.NewLuaScript(luaRoomLib + `
if not room_leased(ARGV[1], ARGV[3]) then return 'lost' end
local want = {}
for i = 4, #ARGV, 3 do want[ARGV[i+1] .. ' ' .. ARGV[i]] = i end
for _, m in ipairs(redis.call('SMEMBERS', ARGV[1] .. 'node:' .. ARGV[3] .. ':rooms')) do
  if want[m] == nil then
    local uid, room = room_entry(m)
    room_leave(ARGV[1], ARGV[2], ARGV[3], room, uid)
  end
end
for _, i in pairs(want) do room_join(ARGV[1], ARGV[2], ARGV[3], ARGV[i], ARGV[i+1], ARGV[i+2]) end
return 'ok'
`)

// scriptRoomRead reads one room whole: {version, uid, user JSON, uid, user JSON, …}.
// ARGV 1: prefix, 2: room.
var scriptRoomRead = rueidis.NewLuaScript(`
local rk = ARGV[1] .. 'room:' .. ARGV[2]
local out = {redis.call('GET', rk .. ':version') or '0'}
for _, uid in ipairs(redis.call('HKEYS', rk .. ':nodes')) do
  out[#out + 1] = uid
  out[#out + 1] = redis.call('HGET', rk .. ':users', uid) or ''
end
return out
`)
