-- wrk script of the soak test (scripts/soak.sh): a mix of valid CORS traffic and hostile
-- requests, sent round-robin. Counts answers per class and checks that no response carries
-- an Access-Control-Allow-Origin for an origin the server's policy does not allow.

local host = "127.0.0.1"
local app = "https://app.example.com"

local function raw(method, headers, body)
  local lines = { method .. " /api/items HTTP/1.1", "Host: " .. host }
  for _, h in ipairs(headers) do
    lines[#lines + 1] = h
  end
  if body then
    lines[#lines + 1] = "Content-Length: " .. #body
  end
  return table.concat(lines, "\r\n") .. "\r\n\r\n" .. (body or "")
end

local function preflight(origin, method, names)
  local h = { "Origin: " .. origin, "Access-Control-Request-Method: " .. method }
  if names then
    h[#h + 1] = "Access-Control-Request-Headers: " .. names
  end
  return raw("OPTIONS", h)
end

-- Valid traffic (weight 3 each) and hostile requests (weight 1 each).
local valid = {
  raw("GET", { "Origin: " .. app, "Cookie: session=1" }),
  preflight(app, "PUT", "content-type,x-custom"),
  raw("PUT", { "Origin: " .. app, "Content-Type: application/json" }, "{}"),
  raw("GET", {}),
  preflight("https://a.tenant.example.com", "DELETE", "authorization"),
  raw("POST", { "Origin: http://localhost:5173", "Content-Type: text/plain" }, "x"),
}
local hostile = {
  raw("GET", { "Origin: https://evil.example" }),
  preflight("https://app.example.com.evil.example", "PUT", "content-type"),
  preflight("http://app.example.com", "PUT"),
  preflight("null", "GET"),
  preflight("https://APP.example.com", "GET"),
  preflight("https://user@app.example.com", "GET"),
  preflight("https://tenant.example.com", "GET"),
  preflight("https://eviltenant.example.com", "GET"),
  preflight(app, "PROPFIND"),
  preflight(app, "PUT", "x-not-allowed"),
  preflight(app, "PUT", string.rep(",", 8192)),
  preflight(app, "PUT", string.rep("a,", 3000)),
  raw("GET", { "Origin: " .. app .. string.rep("a", 2048) }),
  raw("GET", { "Origin: " .. app, "Origin: https://evil.example" }),
  raw("GET", { "Origin: " .. app .. ", https://evil.example" }),
  raw("OPTIONS", { "Origin: " .. app, "Access-Control-Request-Method: PUT",
                   "Access-Control-Request-Method: DELETE" }),
}

local requests = {}
for _, r in ipairs(valid) do
  for _ = 1, 3 do
    requests[#requests + 1] = r
  end
end
for _, r in ipairs(hostile) do
  requests[#requests + 1] = r
end

local allowed_origins = {
  [app] = true,
  ["https://a.tenant.example.com"] = true,
  ["http://localhost:5173"] = true,
}

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  counter = math.random(#requests)
  s2xx, s403, sother, leaks = 0, 0, 0, 0
end

function request()
  counter = counter % #requests + 1
  return requests[counter]
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    s2xx = s2xx + 1
  elseif status == 403 then
    s403 = s403 + 1
  else
    sother = sother + 1
  end
  local acao = headers["Access-Control-Allow-Origin"] or headers["access-control-allow-origin"]
  if acao and not allowed_origins[acao] then
    leaks = leaks + 1
  end
end

function done(summary, latency, requests_done)
  local t2, t403, tother, tleaks = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    t2 = t2 + t:get("s2xx")
    t403 = t403 + t:get("s403")
    tother = tother + t:get("sother")
    tleaks = tleaks + t:get("leaks")
  end
  local e = summary.errors
  io.write(string.format("soak: requests=%d duration_s=%.1f rps=%.0f\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6)))
  io.write(string.format("soak: status_2xx=%d status_403=%d status_other=%d acao_leaks=%d\n",
    t2, t403, tother, tleaks))
  io.write(string.format("soak: errors connect=%d read=%d write=%d timeout=%d status=%d\n",
    e.connect, e.read, e.write, e.timeout, e.status))
  io.write(string.format("soak: latency_ms p50=%.2f p99=%.2f max=%.2f\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("soak: hostile_share=%.2f\n", #hostile / #requests))
end
