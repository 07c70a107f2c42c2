-- wrk script for the ingest benchmark: `wrk -s bench/ingest.lua` with WRK_PLAN naming a Lua file written by
-- bench/ingest.ts. wrk (C, Debian's package) costs the shared 2 cores far less than a Node load generator.
-- Every request is legal, and each thread owns its projects, so no two threads ever touch one milestone.
--
-- plan.mix = "money": every slot of a project runs milestones through a lifecycle of six events, half of which
--   move money: CREATE 10000 (fund) → REQUEST_RELEASE → RELEASE 4000 (partial) → REQUEST_CANCEL → REJECT_CANCEL →
--   RELEASE of the rest (even rounds) or CANCEL (odd rounds, the rest goes back), then a new milestone in the
--   slot. A thread cycles through far more slots than it sends events in a second, so a milestone's settlement
--   has long landed before its slot comes round again; one that has not answers 409, counted as an error. The
--   slots all start at CREATE and move in step, unless BENCH_MONEY_STAGGER=1 starts each at its own step
--   (bench/money-slots.ts plans them, and seeds the staggered ones before the phase).
-- plan.mix = "engine": the seeded milestones toggle REQUEST_CANCEL / REJECT_CANCEL round robin (no money moves)
--   and every tenth request creates a milestone, funded in the background (the mix of earlier runs).
--
-- plan.rate > 0 paces the requests (each thread sends its share at even intervals, whatever the latency, as
-- long as its connections keep up): the "half load" phase. 0 sends each next request as soon as it can.

local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local timespec = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, timespec) -- CLOCK_MONOTONIC
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local plan = dofile(os.getenv("WRK_PLAN"))
  local thread_count = tonumber(os.getenv("WRK_THREADS"))
  headers = { ["Authorization"] = "Bearer " .. plan.token, ["Content-Type"] = "application/json" }
  mix = plan.mix
  create_every = plan.createEvery
  projects = {}
  slots = {}
  for i, p in ipairs(plan.projects) do
    if (i - 1) % thread_count == tid then
      table.insert(projects, p)
      if mix == "engine" then
        for _, m in ipairs(p.milestones) do
          table.insert(slots, { project = p, id = m.id, flagged = m.flagged })
        end
      end
    end
  end
  if mix == "money" then
    -- The thread's slots as bench/money-slots.ts planned them: slot-major order, so consecutive requests go to
    -- different projects (and employers), as a marketplace's would, instead of queueing on one project's row lock.
    for _, s in ipairs(plan.slots[tid + 1]) do
      table.insert(slots, { project = plan.projects[s.project], name = s.name, step = s.step, round = s.round, id = s.id })
    end
  end
  interval_ms = plan.rate > 0 and (1000 * thread_count / plan.rate) or 0
  next_send_ms = nil
  n = 0
  errors = 0
  sample = ""
  -- wrk calls thread 0's request() once, before any connection, only to check what it returns (wrk.c,
  -- script_verify_request); that call must not advance a slot, or its next real event is illegal.
  verifying = tid == 0
end

function delay()
  if interval_ms == 0 then return 0 end
  local now = now_ms()
  next_send_ms = math.max(next_send_ms or now, now - interval_ms)
  local wait = next_send_ms - now
  next_send_ms = next_send_ms + interval_ms
  return math.max(0, math.floor(wait))
end

local function event_of(id, body)
  return wrk.format("POST", "/v1/milestones/" .. id .. "/events", headers, body)
end

local function money_request()
  local s = slots[n % #slots + 1]
  local p = s.project
  local step = s.step
  s.step = (step + 1) % 6
  if step == 0 then
    s.round = s.round + 1
    s.id = s.name .. "-" .. s.round
    local body = '{"id":"' .. s.id .. '","type":"CREATE","actor":"' .. p.employer .. '","amount":"10000","description":"bench"}'
    return wrk.format("POST", "/v1/projects/" .. p.id .. "/milestones", headers, body)
  elseif step == 1 then
    return event_of(s.id, '{"type":"REQUEST_RELEASE","actor":"' .. p.freelancer .. '"}')
  elseif step == 2 then
    return event_of(s.id, '{"type":"RELEASE","actor":"' .. p.employer .. '","amount":"4000"}')
  elseif step == 3 then
    return event_of(s.id, '{"type":"REQUEST_CANCEL","actor":"' .. p.employer .. '","reason":"bench"}')
  elseif step == 4 then
    return event_of(s.id, '{"type":"REJECT_CANCEL","actor":"' .. p.freelancer .. '"}')
  elseif s.round % 2 == 0 then
    return event_of(s.id, '{"type":"RELEASE","actor":"' .. p.employer .. '"}')
  else
    return event_of(s.id, '{"type":"CANCEL","actor":"' .. p.freelancer .. '"}')
  end
end

local function engine_request()
  if create_every > 0 and n % create_every == 0 then
    local p = projects[(n / create_every) % #projects + 1]
    local body = '{"type":"CREATE","actor":"' .. p.employer .. '","amount":"100","description":"bench"}'
    return wrk.format("POST", "/v1/projects/" .. p.id .. "/milestones", headers, body)
  end
  local s = slots[n % #slots + 1]
  local body
  if s.flagged then
    body = '{"type":"REJECT_CANCEL","actor":"' .. s.project.freelancer .. '"}'
  else
    body = '{"type":"REQUEST_CANCEL","actor":"' .. s.project.employer .. '","reason":"bench"}'
  end
  s.flagged = not s.flagged
  return event_of(s.id, body)
end

function request()
  if verifying then
    verifying = false
    return wrk.format("GET", "/healthz", headers)
  end
  n = n + 1
  if mix == "money" then return money_request() end
  return engine_request()
end

function response(status, headers, body)
  if status >= 300 then
    errors = errors + 1
    if sample == "" then sample = status .. " " .. string.sub(body, 1, 200) end
  end
end

function done(summary, latency, requests)
  local samples = {}
  for _, t in ipairs(threads) do
    local s = t:get("sample")
    -- Keep the sample JSON-safe without a JSON library: drop quotes, backslashes and control characters.
    if s ~= nil and s ~= "" then table.insert(samples, '"' .. s:gsub('[%c"\\]', "") .. '"') end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"seconds":%.2f,"errors":%d,"errorSamples":[%s],"perSecond":%.1f,"p50Ms":%.2f,"p99Ms":%.2f,"maxMs":%.2f}\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.status + e.timeout, table.concat(samples, ","),
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
