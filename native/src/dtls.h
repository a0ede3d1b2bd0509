#ifndef SOCKCAT_DTLS_H
#define SOCKCAT_DTLS_H

#include <node_api.h>

/* DTLS sessions over datagrams that JavaScript sends and receives (see dtls.c). */
napi_value sockcat_dtls_context(napi_env env, napi_callback_info info);
napi_value sockcat_dtls_session(napi_env env, napi_callback_info info);
napi_value sockcat_dtls_receive(napi_env env, napi_callback_info info);
napi_value sockcat_dtls_listen(napi_env env, napi_callback_info info);
napi_value sockcat_dtls_write(napi_env env, napi_callback_info info);
napi_value sockcat_dtls_shutdown(napi_env env, napi_callback_info info);
napi_value sockcat_dtls_timeout(napi_env env, napi_callback_info info);
napi_value sockcat_dtls_info(napi_env env, napi_callback_info info);
napi_value sockcat_dtls_version(napi_env env, napi_callback_info info);

#endif
