#ifndef SOCKCAT_SOCK_H
#define SOCKCAT_SOCK_H

#include <node_api.h>

/* Thin, non-blocking socket syscalls for the socket types Node lacks (see sock.c). */
napi_value sockcat_socket(napi_env env, napi_callback_info info);
napi_value sockcat_bind(napi_env env, napi_callback_info info);
napi_value sockcat_connect(napi_env env, napi_callback_info info);
napi_value sockcat_listen(napi_env env, napi_callback_info info);
napi_value sockcat_accept(napi_env env, napi_callback_info info);
napi_value sockcat_send(napi_env env, napi_callback_info info);
napi_value sockcat_recv(napi_env env, napi_callback_info info);
napi_value sockcat_recv_many(napi_env env, napi_callback_info info);
napi_value sockcat_shutdown(napi_env env, napi_callback_info info);
napi_value sockcat_close(napi_env env, napi_callback_info info);
napi_value sockcat_getsockname(napi_env env, napi_callback_info info);
napi_value sockcat_getpeername(napi_env env, napi_callback_info info);
napi_value sockcat_setsockopt_int(napi_env env, napi_callback_info info);
napi_value sockcat_getsockopt_int(napi_env env, napi_callback_info info);
napi_value sockcat_setsockopt_buffer(napi_env env, napi_callback_info info);
napi_value sockcat_constants(napi_env env);

#endif
