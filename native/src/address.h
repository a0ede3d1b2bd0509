#ifndef SOCKCAT_ADDRESS_H
#define SOCKCAT_ADDRESS_H

#include <node_api.h>
#include <sys/socket.h>

/*
 * Socket addresses to and from JavaScript:
 *   { path: '/run/x.sock' }  AF_UNIX ('@name' is an abstract name, '' an unnamed socket)
 *   { address: '127.0.0.1', port: 80 }  AF_INET or AF_INET6, by the address's syntax
 * Returns 0, or -1 with a JavaScript TypeError pending.
 */
int sockcat_address_from_js(napi_env env, napi_value value, struct sockaddr_storage *out,
                            socklen_t *length);

/* The JavaScript form of an address; unknown families give { family: N }. */
napi_value sockcat_address_to_js(napi_env env, const struct sockaddr_storage *address,
                                 socklen_t length);

#endif
