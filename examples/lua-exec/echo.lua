-- An RFC 862 echo service for --lua-exec, a byte at a time (a larger count such as read(512)
-- would wait for all 512 bytes before answering).
--
--   sockcat -l -k 7007 --lua-exec examples/lua-exec/echo.lua
--   sockcat localhost 7007
while true do
  local byte = io.stdin:read(1)
  if byte == nil then break end
  io.stdout:write(byte)
  io.stdout:flush()
end
