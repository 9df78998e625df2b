-- wrk script for `mulan serve` (bench/serve/load.sh):
--   wrk ... -s queries.lua URL -- search          GET /api/search?q=TEXT&k=10, a random description each request
--   wrk ... -s queries.lua URL -- similar N       GET /api/similar?id=I&k=10, I random in 1..N
-- At the end it prints one line: "summary: mode=... requests=... requests_per_s=... p50_ms=...
-- p99_ms=... errors=... non_2xx=..." (errors: connect, read, write, timeout; wrk counts a status
-- of 400 or more as non_2xx).

local queries = {
  "calm solo piano in a minor key",
  "upbeat funk with slap bass and horns",
  "sad acoustic guitar ballad with soft vocals",
  "aggressive heavy metal with double kick drums",
  "relaxing ambient pad with slow evolving textures",
  "fast bebop jazz saxophone solo",
  "lo-fi hip hop beat with vinyl crackle",
  "epic orchestral soundtrack with choir and brass",
  "gentle string quartet playing a slow waltz",
  "energetic drum and bass with a rolling bassline",
  "reggae with offbeat guitar skank and organ",
  "country song with banjo and fiddle",
  "dark techno with a pounding four on the floor kick",
  "bossa nova with nylon guitar and brushed drums",
  "smooth r&b slow jam with electric piano",
  "blues shuffle with harmonica and electric guitar",
  "baroque harpsichord piece in a major key",
  "dreamy shoegaze guitars drenched in reverb",
  "latin salsa with congas, timbales and piano montuno",
  "children's lullaby played on a music box",
  "melancholic cello solo",
  "happy ukulele tune with whistling",
  "cinematic tension build with staccato strings",
  "classic rock anthem with a big guitar riff",
  "minimal piano with long silences",
  "chiptune melody from an 8-bit video game",
  "tribal percussion with djembe and shakers",
  "deep house groove with warm chords",
  "punk rock with fast distorted power chords",
  "indian classical sitar with tabla",
  "celtic folk with tin whistle and bodhran",
  "gospel choir with hammond organ",
  "trap beat with booming 808 bass and hi-hat rolls",
  "flamenco guitar with hand claps",
  "soft jazz trio with upright bass at a late night bar",
  "synthwave with retro arpeggiated synthesizers",
  "opera aria sung by a soprano",
  "dubstep with wobbling bass drops",
  "meditative singing bowls and drones",
  "marching band with snare drums and tubas",
  "k-pop dance track with catchy chorus",
  "bluegrass with mandolin and fast picking",
  "sparse electronic glitch with clicks and cuts",
  "romantic piano nocturne",
  "afrobeat with horns and polyrhythmic drums",
  "grunge with sludgy guitars and angst",
  "christmas song with sleigh bells",
  "tango with bandoneon and violin",
  "uplifting trance with a euphoric lead",
  "quiet acoustic fingerpicking in an open tuning",
}

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
end

local mode = "search"
local tracks = 0
local paths = {}

function init(args)
  mode = args[1] or "search"
  math.randomseed(os.time() * 1000 + (thread_id or 0))
  if mode == "search" then
    for i, q in ipairs(queries) do
      paths[i] = "/api/search?q=" .. urlencode(q) .. "&k=10"
    end
  elseif mode == "similar" then
    tracks = tonumber(args[2] or "")
    if not tracks or tracks < 2 then
      error("similar mode needs the track count: -- similar N (N >= 2)")
    end
  else
    error("unknown mode '" .. mode .. "' (search or similar)")
  end
end

function request()
  local path
  if mode == "search" then
    path = paths[math.random(#paths)]
  else
    path = "/api/similar?id=" .. math.random(tracks) .. "&k=10"
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "summary: mode=%s requests=%d seconds=%.1f requests_per_s=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f "
      .. "max_ms=%.2f errors=%d non_2xx=%d\n",
    mode, summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.connect + e.read + e.write + e.timeout, e.status))
end
