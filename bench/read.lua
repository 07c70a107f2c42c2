-- wrk script for the read benchmark: GET /v1/milestones/:id round robin over the ids of the Lua file WRK_PLAN
-- names ({ token = ..., ids = { ... } }), each thread starting at a different offset.

local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  local plan = dofile(os.getenv("WRK_PLAN"))
  headers = { ["Authorization"] = "Bearer " .. plan.token }
  ids = plan.ids
  n = tid * 7919
end

function request()
  n = n + 1
  return wrk.format("GET", "/v1/milestones/" .. ids[n % #ids + 1], headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"seconds":%.2f,"errors":%d,"errorSamples":[],"perSecond":%.1f,"p50Ms":%.2f,"p99Ms":%.2f,"maxMs":%.2f}\n',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.status + e.timeout,
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
