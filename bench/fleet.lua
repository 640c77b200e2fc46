-- wrk script of bench/fleet.py: thread n talks to the instance on the nth port of
-- FLEET_PORTS (comma separated; -t as many threads as ports), every thread asks for the
-- FLEET_PATHS (space separated) in turn, and the summary is one line of JSON after
-- "FLEET " with 4xx and 5xx answers counted per thread (wrk itself only counts
-- "non-2xx or 3xx"). Loopback only: the addresses are 127.0.0.1's.
local function split(text, separator)
  local parts = {}
  for part in string.gmatch(text or "", "[^" .. separator .. "]+") do
    table.insert(parts, part)
  end
  return parts
end

local ports = split(os.getenv("FLEET_PORTS"), ",")
local threads = {}

function setup(thread)
  local n = #threads % #ports + 1
  thread.addr = wrk.lookup("127.0.0.1", ports[n])[1]
  thread:set("instance", n)
  table.insert(threads, thread)
end

function init(args)
  paths = split(os.getenv("FLEET_PATHS"), " ")
  i, n, c4, c5 = 0, 0, 0, 0
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end

function response(status, headers, body)
  n = n + 1
  if status >= 500 then c5 = c5 + 1 elseif status >= 400 then c4 = c4 + 1 end
end

function done(summary, latency, requests)
  local per = {}
  for _, t in ipairs(threads) do
    table.insert(per, string.format('{"instance": %d, "responses": %d, "4xx": %d, "5xx": %d}',
      t:get("instance"), t:get("n"), t:get("c4"), t:get("c5")))
  end
  local e = summary.errors
  io.write(string.format('FLEET {"requests": %d, "seconds": %.2f, "connect": %d, '
    .. '"read": %d, "write": %d, "timeout": %d, "non_2xx_3xx": %d, "p50_us": %d, '
    .. '"p99_us": %d, "max_us": %d, "threads": [%s]}\n',
    summary.requests, summary.duration / 1e6, e.connect, e.read, e.write, e.timeout,
    e.status, latency:percentile(50), latency:percentile(99), latency.max,
    table.concat(per, ", ")))
end
