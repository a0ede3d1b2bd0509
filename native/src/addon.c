/*
 * sockcat's optional native addon: what Node's own socket API lacks. Loaded lazily by
 * src/native/load.ts; every feature that needs it fails with a clear error when it is missing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <node_api.h>
#include <sys/socket.h>

#include "dtls.h"
#include "errors.h"
#include "poller.h"
#include "reuseport.h"
#include "sock.h"

static const char *errno_code(int err) {
  switch (err) {
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOBUFS: return "ENOBUFS";
    case ENOMEM: return "ENOMEM";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case ENOENT: return "ENOENT";
    case ENOTCONN: return "ENOTCONN";
    case EPIPE: return "EPIPE";
    case EMSGSIZE: return "EMSGSIZE";
    case ENODEV: return "ENODEV";
    case EBADF: return "EBADF";
    case EISCONN: return "EISCONN";
    case EDESTADDRREQ: return "EDESTADDRREQ";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case ENETUNREACH: return "ENETUNREACH";
    case ENOTSOCK: return "ENOTSOCK";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
    default: return "EUNKNOWN";
  }
}

napi_value sockcat_throw_errno(napi_env env, int err, const char *syscall) {
  char message[160];
  const char *code = errno_code(err);
  snprintf(message, sizeof message, "%s %s (%s)", syscall, code, strerror(err));
  napi_value msg, error, value;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, NULL, msg, &error);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, error, "code", value);
  napi_create_int32(env, -err, &value);
  napi_set_named_property(env, error, "errno", value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, error, "syscall", value);
  napi_throw(env, error);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
    {"listenReusePort", NULL, sockcat_listen_reuseport, NULL, NULL, NULL, napi_default, NULL},
    {"socket", NULL, sockcat_socket, NULL, NULL, NULL, napi_default, NULL},
    {"bind", NULL, sockcat_bind, NULL, NULL, NULL, napi_default, NULL},
    {"connect", NULL, sockcat_connect, NULL, NULL, NULL, napi_default, NULL},
    {"listen", NULL, sockcat_listen, NULL, NULL, NULL, napi_default, NULL},
    {"accept", NULL, sockcat_accept, NULL, NULL, NULL, napi_default, NULL},
    {"send", NULL, sockcat_send, NULL, NULL, NULL, napi_default, NULL},
    {"recv", NULL, sockcat_recv, NULL, NULL, NULL, napi_default, NULL},
    {"recvMany", NULL, sockcat_recv_many, NULL, NULL, NULL, napi_default, NULL},
    {"shutdown", NULL, sockcat_shutdown, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, sockcat_close, NULL, NULL, NULL, napi_default, NULL},
    {"getsockname", NULL, sockcat_getsockname, NULL, NULL, NULL, napi_default, NULL},
    {"getpeername", NULL, sockcat_getpeername, NULL, NULL, NULL, napi_default, NULL},
    {"setsockoptInt", NULL, sockcat_setsockopt_int, NULL, NULL, NULL, napi_default, NULL},
    {"getsockoptInt", NULL, sockcat_getsockopt_int, NULL, NULL, NULL, napi_default, NULL},
    {"setsockoptBuffer", NULL, sockcat_setsockopt_buffer, NULL, NULL, NULL, napi_default, NULL},
    {"dtlsContext", NULL, sockcat_dtls_context, NULL, NULL, NULL, napi_default, NULL},
    {"dtlsSession", NULL, sockcat_dtls_session, NULL, NULL, NULL, napi_default, NULL},
    {"dtlsReceive", NULL, sockcat_dtls_receive, NULL, NULL, NULL, napi_default, NULL},
    {"dtlsListen", NULL, sockcat_dtls_listen, NULL, NULL, NULL, napi_default, NULL},
    {"dtlsWrite", NULL, sockcat_dtls_write, NULL, NULL, NULL, napi_default, NULL},
    {"dtlsShutdown", NULL, sockcat_dtls_shutdown, NULL, NULL, NULL, napi_default, NULL},
    {"dtlsTimeout", NULL, sockcat_dtls_timeout, NULL, NULL, NULL, napi_default, NULL},
    {"dtlsInfo", NULL, sockcat_dtls_info, NULL, NULL, NULL, napi_default, NULL},
    {"dtlsVersion", NULL, sockcat_dtls_version, NULL, NULL, NULL, napi_default, NULL},
    {"constants", NULL, NULL, NULL, NULL, sockcat_constants(env), napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  if (sockcat_define_poller(env, exports) != 0) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
