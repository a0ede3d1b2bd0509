/*
 * sockcat's optional native addon: what Node's own socket API lacks. Loaded lazily by
 * src/native/load.ts; every feature that needs it fails with a clear error when it is missing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <node_api.h>
#include <sys/socket.h>

#include "errors.h"
#include "reuseport.h"

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
    case EBADF: return "EBADF";
    case ENOTSOCK: return "ENOTSOCK";
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

/*
 * setIntSockopt(fd, level, name, value): setsockopt(2) with an int value, for the socket options
 * Node does not offer (IP_TOS / IPV6_TCLASS for nc's -T). Throws an errno-coded Error on failure.
 */
static napi_value set_int_sockopt(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int fd = -1, level = 0, name = 0, value = 0;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_int32(env, argv[1], &level) != napi_ok ||
      napi_get_value_int32(env, argv[2], &name) != napi_ok ||
      napi_get_value_int32(env, argv[3], &value) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "setIntSockopt(fd, level, name, value)");
    return NULL;
  }
  if (setsockopt(fd, level, name, &value, sizeof value) < 0) {
    return sockcat_throw_errno(env, errno, "setsockopt");
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
    {"listenReusePort", NULL, sockcat_listen_reuseport, NULL, NULL, NULL, napi_default, NULL},
    {"setIntSockopt", NULL, set_int_sockopt, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
