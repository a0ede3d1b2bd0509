-- The smallest --lua-exec script: what it prints goes to the client.
--
--   sockcat -l 7008 --lua-exec examples/lua-exec/hello.lua
--   sockcat localhost 7008
print "Hello, world!"
