#ifndef SOCKCAT_POLLER_H
#define SOCKCAT_POLLER_H

#include <node_api.h>

/* Define the Poller class on `exports` (see poller.c). */
int sockcat_define_poller(napi_env env, napi_value exports);

#endif
