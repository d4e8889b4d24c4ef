-- wrk script of the reload load run (scripts/reload-stall.sh): allowed and refused actual
-- requests and allowed preflights, round-robin, against a server whose 1,000,000-origin
-- policy may be replaced at any moment. Counts answers and checks that the allowed origin
-- is always allowed and the refused one never.

local allowed = "https://tenant000500.customer-domain-0.com"
local refused = "https://tenant000500.customer-domain-0.co"

local function raw(method, headers)
  local lines = { method .. " /api/items HTTP/1.1", "Host: 127.0.0.1" }
  for _, h in ipairs(headers) do
    lines[#lines + 1] = h
  end
  return table.concat(lines, "\r\n") .. "\r\n\r\n"
end

local requests = {
  raw("GET", { "Origin: " .. allowed, "Cookie: session=1" }),
  raw("GET", { "Origin: " .. refused }),
  raw("OPTIONS", { "Origin: " .. allowed, "Access-Control-Request-Method: PUT",
                   "Access-Control-Request-Headers: content-type" }),
}
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  counter = 0
  ok, wrong = 0, 0
end

function request()
  counter = counter % #requests + 1
  return requests[counter]
end

-- The server echoes the request's Origin in `x-origin` (actual requests only: the layer
-- answers preflights itself, `204` when allowed).
function response(status, headers, body)
  local acao = headers["Access-Control-Allow-Origin"] or headers["access-control-allow-origin"]
  local echoed = headers["X-Origin"] or headers["x-origin"]
  local right
  if status == 204 then
    right = acao == allowed
  elseif status == 200 and echoed == allowed then
    right = acao == allowed
  elseif status == 200 and echoed == refused then
    right = acao == nil
  else
    right = false
  end
  if right then
    ok = ok + 1
  else
    wrong = wrong + 1
  end
end

function done(summary, latency, requests_done)
  local tok, twrong = 0, 0
  for _, t in ipairs(threads) do
    tok = tok + t:get("ok")
    twrong = twrong + t:get("wrong")
  end
  local e = summary.errors
  io.write(string.format("load: requests=%d rps=%.0f right=%d wrong=%d errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6), tok, twrong,
    e.connect + e.read + e.write + e.timeout + e.status))
  io.write(string.format("load: latency_us p50=%.0f p99=%.0f p999=%.0f max=%.0f\n",
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
