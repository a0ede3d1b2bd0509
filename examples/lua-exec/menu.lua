-- A --lua-exec menu: reads the client's choice a line at a time and answers, until "0" or the end
-- of the input. The variables sockcat sets for the connection are there through os.getenv.
--
--   sockcat -l -k 7009 --lua-exec examples/lua-exec/menu.lua
--   sockcat localhost 7009
io.write("Hello ", os.getenv("NCAT_REMOTE_ADDR") or "stranger", "\n")
while true do
  print("1. Show the menu again.")
  print("0. Leave.")
  io.write("Your choice: ")
  io.flush()
  local choice = io.read("l")
  if choice == nil or choice == "0" then break end
  if choice ~= "1" then print("Unknown choice: " .. choice) end
end
print("Bye.")
