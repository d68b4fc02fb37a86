-- Paces wrk: each connection waits `delay` ms between requests, so
-- rate = connections * 1000 / delay (e.g. -c10 with 10 ms = 1,000 req/s).
-- Usage: wrk -t1 -c10 -d5s --latency -s bench/wrk_delay.lua URL -- 10
local pause = 10

function init(args)
  if args[1] then pause = tonumber(args[1]) end
end

function delay()
  return pause
end
