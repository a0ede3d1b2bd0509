/**
 * The Lua side of --lua-exec's standard streams: a chunk run in each new Lua state before the
 * script. It replaces io.read/io.write/io.lines/print and the io.stdin/io.stdout/io.stderr handles
 * with versions whose standard input and output are the connection, os.getenv with the
 * connection's variables, and os.exit with the end of the session. What needs the host (bytes in
 * and out, waiting) is done by the functions lua-exec.ts passes in; everything else, argument
 * checks and messages included, follows liolib.c.
 *
 * A read or a write that must wait awaits a promise, which suspends the session's Lua thread. In a
 * coroutine of the script the wait is passed up through coroutine.resume/wrap (IOWAIT), so that a
 * script's coroutines see nothing of it.
 */
export const LUA_PRELUDE = String.raw`
local send, take, more, errwrite, getenv, exit = ...
local session = coroutine.running()
local raw_yield, raw_resume, raw_status, raw_running, raw_create =
  coroutine.yield, coroutine.resume, coroutine.status, coroutine.running, coroutine.create
local pack, unpack, concat, select, type, error, tostring, tointeger, mathtype, format =
  table.pack, table.unpack, table.concat, select, type, error, tostring, math.tointeger,
  math.type, string.format
local tonumber, getmetatable, setmetatable, rawget = tonumber, getmetatable, setmetatable, rawget
local getinfo = debug.getinfo
local IOWAIT = {}

local function wait(promise)
  if raw_running() == session then return promise:await() end
  return raw_yield(IOWAIT, promise)
end

local function pass(co, r)
  while r[1] and r[2] == IOWAIT and raw_status(co) == 'suspended' do
    r = pack(raw_resume(co, wait(r[3])))
  end
  return r
end

function coroutine.resume(co, ...)
  local r = pass(co, pack(raw_resume(co, ...)))
  return unpack(r, 1, r.n)
end

function coroutine.wrap(f)
  local co = raw_create(f)
  return function(...)
    local r = pass(co, pack(raw_resume(co, ...)))
    if r[1] then return unpack(r, 2, r.n) end
    error(r[2], 0)
  end
end

-- level: where the io function is, counted from the function calling argerror; the message
-- names the line that called it, and the function as that line named it, as luaL_argerror does
-- (the global name when the caller was not Lua code, such as pcall).
local function argerror(level, i, name, extra)
  local info = getinfo(level + 1, 'n')
  if info and info.name then
    name = info.name
    if info.namewhat == 'method' then
      i = i - 1
      if i == 0 then error(format("calling '%s' on bad self (%s)", name, extra), level + 2) end
    end
  end
  error(format("bad argument #%d to '%s' (%s)", i, name, extra), level + 2)
end

local function typename(v)
  local mt = getmetatable(v)
  if type(mt) == 'table' and type(rawget(mt, '__name')) == 'string' then return mt.__name end
  return type(v)
end

-- Called straight from the public function (never as a tail call), so that the caller of that
-- function is level 3 from here.
-- offset: arguments before the first format (self for a method).
local function formats(name, offset, ...)
  local n = select('#', ...)
  if n == 0 then return { 'l', n = 1 } end
  local out = { n = n }
  for i = 1, n do
    local f = (select(i, ...))
    if type(f) == 'number' then
      out[i] = tointeger(f)
      if out[i] == nil then argerror(2, i + offset, name, 'number has no integer representation') end
    elseif type(f) ~= 'string' then
      argerror(2, i + offset, name, 'string expected, got ' .. typename(f))
    else
      local letter = f:match('^%*?(.)')
      if letter ~= 'n' and letter ~= 'l' and letter ~= 'L' and letter ~= 'a' then
        argerror(2, i + offset, name, 'invalid format')
      end
      out[i] = letter
    end
  end
  return out
end

local function strings(name, offset, ...)
  local n = select('#', ...)
  local parts = {}
  for i = 1, n do
    local v = (select(i, ...))
    if type(v) == 'string' then parts[i] = v
    elseif mathtype(v) == 'integer' then parts[i] = format('%d', v)
    elseif mathtype(v) == 'float' then parts[i] = format('%.14g', v)
    else argerror(2, i + offset, name, 'string expected, got ' .. typename(v)) end
  end
  return concat(parts)
end

local function read1(f)
  while true do
    local ready, value = take(f)
    if ready then
      if f == 'n' then return tonumber(value) end
      return value
    end
    wait(more())
  end
end

-- Values up to the first that fails (nil), as liolib.c's g_read.
local function readformats(list)
  local out = {}
  for i = 1, list.n do
    local v = read1(list[i])
    out[i] = v
    if v == nil then return unpack(out, 1, i) end
  end
  return unpack(out, 1, list.n)
end

local FILE = {}
FILE.__index = FILE
FILE.__name = 'FILE*'
local stdin = setmetatable({}, FILE)
local stdout = setmetatable({}, FILE)
local stderr = setmetatable({}, FILE)
FILE.__tostring = function(f) return format('file (%p)', f) end
local input, output = stdin, stdout

local function writeto(f, data)
  if f == stderr then
    errwrite(data)
    return f
  end
  if f ~= stdout then return nil, 'Bad file descriptor', 9 end
  local ok = wait(send(data))
  if ok ~= true then return nil, ok, 32 end
  return f
end

local function readfrom(f, list)
  if f ~= stdin then return nil, 'Bad file descriptor', 9 end
  return readformats(list)
end

-- The formats are checked at each call of the iterator, as liolib.c's io_readline does.
local function linesof(f, ...)
  local given = pack(...)
  return function()
    local list = formats('for iterator', 1, unpack(given, 1, given.n))
    return readfrom(f, list)
  end
end

function FILE:read(...)
  local list = formats('read', 1, ...)
  return readfrom(self, list)
end
function FILE:write(...)
  local data = strings('write', 1, ...)
  return writeto(self, data)
end
function FILE:lines(...)
  if select('#', ...) > 250 then argerror(1, 252, 'lines', 'too many arguments') end
  local iterator = linesof(self, ...)
  return iterator
end
function FILE:flush() return self end
function FILE:close() return nil, 'cannot close standard file' end
function FILE:setvbuf() return true end
function FILE:seek() return nil, 'Illegal seek', 29 end

local nofiles = ': no file system here (--lua-exec runs Lua in WebAssembly; stdin and stdout are the connection)'

io.stdin, io.stdout, io.stderr = stdin, stdout, stderr
function io.read(...)
  local list = formats('io.read', 0, ...)
  return readfrom(input, list)
end
function io.write(...)
  local data = strings('io.write', 0, ...)
  return writeto(output, data)
end
function io.lines(filename, ...)
  if filename ~= nil then error(tostring(filename) .. nofiles, 2) end
  if select('#', ...) > 250 then argerror(1, 252, 'io.lines', 'too many arguments') end
  local iterator = linesof(input, ...)
  return iterator
end
function io.flush() return output end
function io.close(f)
  if f == nil or f == stdin or f == stdout or f == stderr then
    return nil, 'cannot close standard file'
  end
  argerror(1, 1, 'io.close', 'FILE* expected, got ' .. typename(f))
end
function io.type(f)
  if f == stdin or f == stdout or f == stderr then return 'file' end
  return nil
end
local function default(current, f, name)
  if f == nil then return current end
  if f == stdin or f == stdout or f == stderr then return f end
  if type(f) == 'string' then error(f .. nofiles, 3) end
  argerror(2, 1, name, 'FILE* expected, got ' .. typename(f))
end
function io.input(f)
  input = default(input, f, 'io.input')
  return input
end
function io.output(f)
  output = default(output, f, 'io.output')
  return output
end
function io.open(filename) return nil, tostring(filename) .. nofiles, 38 end
function io.popen() error("'popen' not supported", 2) end
function io.tmpfile() return nil, 'tmpfile' .. nofiles, 38 end

function print(...)
  local parts = {}
  for i = 1, select('#', ...) do parts[i] = tostring((select(i, ...))) end
  wait(send(concat(parts, '\t') .. '\n'))
end

function os.getenv(name)
  if type(name) ~= 'string' then
    argerror(1, 1, 'os.getenv', 'string expected, got ' .. (name == nil and 'no value' or typename(name)))
  end
  return (getenv(name))
end
function os.exit() wait(exit()) end
function os.execute(command)
  if command == nil then return false end
  return nil, 'exit', 127
end
`;
