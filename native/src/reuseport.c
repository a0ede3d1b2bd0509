/*
 * A listening TCP socket with SO_REUSEPORT, for Node versions without `reusePort` (< 22.12):
 * every worker thread opens its own socket on the same port and the kernel spreads connections
 * over them. The fd is handed to `net.Server#listen({ fd })`, which owns it from then on.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errors.h"
#include "reuseport.h"

static int get_int(napi_env env, napi_value value, int *out) {
  return napi_get_value_int32(env, value, out) == napi_ok;
}

napi_value sockcat_listen_reuseport(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int family = 0, port = 0, backlog = 0;
  bool v6only = false;
  char address[64];
  size_t address_len = 0;
  if (argc < 5 || !get_int(env, argv[0], &family) || !get_int(env, argv[2], &port) ||
      !get_int(env, argv[3], &backlog) ||
      napi_get_value_string_utf8(env, argv[1], address, sizeof address, &address_len) != napi_ok ||
      napi_get_value_bool(env, argv[4], &v6only) != napi_ok || (family != 4 && family != 6) ||
      port < 0 || port > 65535) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "listenReusePort(family 4|6, address, port, backlog, ipv6Only)");
    return NULL;
  }

  struct sockaddr_storage storage;
  socklen_t length;
  memset(&storage, 0, sizeof storage);
  if (family == 4) {
    struct sockaddr_in *sin = (struct sockaddr_in *)&storage;
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, address, &sin->sin_addr) != 1) return sockcat_throw_errno(env, EINVAL, "inet_pton");
    length = sizeof *sin;
  } else {
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&storage;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, address, &sin6->sin6_addr) != 1) return sockcat_throw_errno(env, EINVAL, "inet_pton");
    length = sizeof *sin6;
  }

  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return sockcat_throw_errno(env, errno, "socket");
  int on = 1;
  int v6 = v6only ? 1 : 0;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) < 0 ||
      (family == 6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof v6) < 0)) {
    int err = errno;
    close(fd);
    return sockcat_throw_errno(env, err, "setsockopt");
  }
  if (bind(fd, (struct sockaddr *)&storage, length) < 0) {
    int err = errno;
    close(fd);
    return sockcat_throw_errno(env, err, "bind");
  }
  if (listen(fd, backlog) < 0) {
    int err = errno;
    close(fd);
    return sockcat_throw_errno(env, err, "listen");
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}
