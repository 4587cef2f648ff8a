-- paths.lua -- wrk script: GETs the paths of the file PATHS_FILE (one a
-- line, bench/pixels.py writes them) in order, each once, then /bench-done
-- (a 404, never counted) so that no path is sent twice: a repeated pixel
-- or event_id would be a cheaper duplicate. Start at line PATHS_FIRST (1).
local paths = {}
for line in io.lines(os.getenv("PATHS_FILE")) do paths[#paths + 1] = line end
local i = tonumber(os.getenv("PATHS_FIRST") or "1") - 1

request = function()
  i = i + 1
  if i > #paths then return wrk.format("GET", "/bench-done") end
  return wrk.format("GET", paths[i])
end
