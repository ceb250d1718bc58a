import type { Redis } from 'ioredis';

// The commit, in one step: compare the checkpoint, write the documents, move the checkpoint. It checks the
// type of every key before writing any, because Redis does not undo the writes of a script that fails half way.
// KEYS[1] is the slot's checkpoint, KEYS[2..] the hashes written. ARGV: from, to, then per hash: the number of
// puts, the number of deletes, the puts as id/JSON pairs, the deleted ids. Returns the checkpoint found.
const COMMIT = `
for k = 2, #KEYS do
  local t = redis.call('TYPE', KEYS[k]).ok
  if t ~= 'hash' and t ~= 'none' then return redis.error_reply('WRONGTYPE ' .. KEYS[k] .. ' holds a ' .. t) end
end
local at = redis.call('GET', KEYS[1]) or '0'
if at ~= ARGV[1] then return at end
local i = 3
for k = 2, #KEYS do
  local puts, deletes = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  i = i + 2
  for _ = 1, puts do
    redis.call('HSET', KEYS[k], ARGV[i], ARGV[i + 1])
    i = i + 2
  end
  for _ = 1, deletes do
    redis.call('HDEL', KEYS[k], ARGV[i])
    i = i + 1
  end
end
redis.call('SET', KEYS[1], ARGV[2])
return at
`;

// A query's read, in one step with finding the active version, so that it never sees a version being dropped.
// KEYS[1] is the projection's active pointer. ARGV: the start of its versions' keys, the collection's key end,
// what to read ('get', 'len' or 'all'), and the id for 'get'. Returns {} before any activation, else {version,
// result}.
const READ = `
local version = redis.call('GET', KEYS[1])
if not version then return {} end
local key = ARGV[1] .. version .. ARGV[2]
if ARGV[3] == 'get' then return {version, redis.call('HGET', key, ARGV[4])} end
if ARGV[3] == 'len' then return {version, redis.call('HLEN', key)} end
return {version, redis.call('HGETALL', key)}
`;

/** What a read returns: nothing before any activation, else the active version and the result. */
export type ReadReply<R> = [] | [version: string, result: R];

/** The store's Lua scripts, sent by SHA once Redis has seen them (ioredis' defineCommand). */
export interface Scripts {
  commit(keys: readonly string[], args: readonly string[]): Promise<string>;
  get(active: string, versions: string, suffix: string, id: string): Promise<ReadReply<string | null>>;
  len(active: string, versions: string, suffix: string): Promise<ReadReply<number>>;
  all(active: string, versions: string, suffix: string): Promise<ReadReply<string[]>>;
}

interface Scripted {
  twofoldCommit(numberOfKeys: number, keys: readonly string[], args: readonly string[]): Promise<string>;
  twofoldRead(active: string, ...args: string[]): Promise<ReadReply<never>>;
}

/** Defines the scripts on `client`. */
export function defineScripts(client: Redis): Scripts {
  client.defineCommand('twofoldCommit', { lua: COMMIT });
  client.defineCommand('twofoldRead', { lua: READ, numberOfKeys: 1 });
  // defineCommand adds methods that ioredis' types cannot know of.
  const scripted = client as unknown as Scripted;
  return {
    // ioredis flattens array arguments: no spread, so a large batch cannot overflow the call stack.
    commit: (keys, args) => scripted.twofoldCommit(keys.length, keys, args),
    get: (active, versions, suffix, id) => scripted.twofoldRead(active, versions, suffix, 'get', id),
    len: (active, versions, suffix) => scripted.twofoldRead(active, versions, suffix, 'len'),
    all: (active, versions, suffix) => scripted.twofoldRead(active, versions, suffix, 'all'),
  };
}
