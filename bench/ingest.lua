-- wrk script for the ingest benchmark: `wrk -s bench/ingest.lua` with WRK_PLAN naming a Lua file written by
-- bench/ingest.ts. wrk (C, Debian's package) costs the shared 2 cores far less than a Node load generator.
-- Every request is legal: each thread owns its projects and toggles REQUEST_CANCEL / REJECT_CANCEL on their
-- milestones round robin (no settlement needed, so the rate is the engine's), and every createEvery-th request
-- creates a milestone, which the settlement worker funds in the background (the fund part of the mix). A thread
-- cycles through far more milestones than it has connections, so a milestone's previous event has been
-- answered before its next one is sent.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local plan = dofile(os.getenv("WRK_PLAN"))
  local threads = tonumber(os.getenv("WRK_THREADS"))
  headers = { ["Authorization"] = "Bearer " .. plan.token, ["Content-Type"] = "application/json" }
  create_every = plan.createEvery
  projects = {}
  slots = {}
  for i, p in ipairs(plan.projects) do
    if (i - 1) % threads == tid then
      table.insert(projects, p)
      for _, m in ipairs(p.milestones) do
        table.insert(slots, { project = p, id = m.id, flagged = m.flagged })
      end
    end
  end
  n = 0
  errors = 0
  sample = ""
  -- wrk calls thread 0's request() once, before any connection, only to check what it returns (wrk.c,
  -- script_verify_request); that call must not flip a milestone's flag, or its next real event is illegal.
  verifying = tid == 0
end

function request()
  if verifying then
    verifying = false
    return wrk.format("GET", "/healthz", headers)
  end
  n = n + 1
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
  return wrk.format("POST", "/v1/milestones/" .. s.id .. "/events", headers, body)
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
