#ifndef SOCKCAT_REUSEPORT_H
#define SOCKCAT_REUSEPORT_H

#include <node_api.h>

/* listenReusePort(family, address, port, backlog, ipv6Only) -> fd */
napi_value sockcat_listen_reuseport(napi_env env, napi_callback_info info);

#endif
