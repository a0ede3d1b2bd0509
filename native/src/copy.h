#ifndef SOCKCAT_COPY_H
#define SOCKCAT_COPY_H

#include <node_api.h>

/* A byte copy between two file descriptors on a thread of its own (see copy.c). */
napi_value sockcat_copy_start(napi_env env, napi_callback_info info);
napi_value sockcat_copy_stop(napi_env env, napi_callback_info info);
napi_value sockcat_copy_bytes(napi_env env, napi_callback_info info);
napi_value sockcat_copy_mechanism(napi_env env, napi_callback_info info);

#endif
