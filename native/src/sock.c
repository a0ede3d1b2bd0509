/*
 * Thin wrappers over the socket syscalls, for socket types Node has no API for (Unix datagram and
 * seqpacket, raw IP) and for options it does not expose. Every socket is non-blocking and
 * close-on-exec; EAGAIN is a normal result (null / -1), not an exception; other failures throw
 * errors shaped like Node's system errors. The JavaScript side (src/native/) waits for
 * readiness with a Poller (poller.c) and owns the semantics.
 */
#define _GNU_SOURCE /* accept4 */
#include "sock.h"

#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "address.h"
#include "errors.h"

#define MAX_ARGS 4

typedef struct {
  size_t count;
  napi_value values[MAX_ARGS];
} args_t;

static int get_args(napi_env env, napi_callback_info info, args_t *args, size_t needed) {
  args->count = MAX_ARGS;
  napi_get_cb_info(env, info, &args->count, args->values, NULL, NULL);
  if (args->count < needed) {
    napi_throw_type_error(env, NULL, "missing arguments");
    return -1;
  }
  return 0;
}

static int get_int(napi_env env, napi_value value, int32_t *out, const char *what) {
  if (napi_get_value_int32(env, value, out) != napi_ok) {
    char message[96];
    snprintf(message, sizeof message, "%s must be a number", what);
    napi_throw_type_error(env, NULL, message);
    return -1;
  }
  return 0;
}

static napi_value int_value(napi_env env, int32_t number) {
  napi_value value;
  napi_create_int32(env, number, &value);
  return value;
}

static napi_value null_value(napi_env env) {
  napi_value value;
  napi_get_null(env, &value);
  return value;
}

static napi_value undefined_value(napi_env env) {
  napi_value value;
  napi_get_undefined(env, &value);
  return value;
}

/* socket(domain, type, protocol) -> fd; non-blocking and close-on-exec. */
napi_value sockcat_socket(napi_env env, napi_callback_info info) {
  args_t args;
  int32_t domain, type, protocol;
  if (get_args(env, info, &args, 3) || get_int(env, args.values[0], &domain, "domain") ||
      get_int(env, args.values[1], &type, "type") ||
      get_int(env, args.values[2], &protocol, "protocol")) {
    return NULL;
  }
  int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return sockcat_throw_errno(env, errno, "socket");
  return int_value(env, fd);
}

/* bind(fd, address) */
napi_value sockcat_bind(napi_env env, napi_callback_info info) {
  args_t args;
  int32_t fd;
  struct sockaddr_storage address;
  socklen_t length;
  if (get_args(env, info, &args, 2) || get_int(env, args.values[0], &fd, "fd") ||
      sockcat_address_from_js(env, args.values[1], &address, &length)) {
    return NULL;
  }
  if (bind(fd, (struct sockaddr *)&address, length) < 0) {
    return sockcat_throw_errno(env, errno, "bind");
  }
  return undefined_value(env);
}

/* connect(fd, address) -> true when connected, false when in progress (wait for writable). */
napi_value sockcat_connect(napi_env env, napi_callback_info info) {
  args_t args;
  int32_t fd;
  struct sockaddr_storage address;
  socklen_t length;
  if (get_args(env, info, &args, 2) || get_int(env, args.values[0], &fd, "fd") ||
      sockcat_address_from_js(env, args.values[1], &address, &length)) {
    return NULL;
  }
  napi_value result;
  int rc;
  do {
    rc = connect(fd, (struct sockaddr *)&address, length);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0 && errno != EINPROGRESS && errno != EAGAIN) {
    return sockcat_throw_errno(env, errno, "connect");
  }
  napi_get_boolean(env, rc == 0, &result);
  return result;
}

/* listen(fd, backlog) */
napi_value sockcat_listen(napi_env env, napi_callback_info info) {
  args_t args;
  int32_t fd, backlog;
  if (get_args(env, info, &args, 2) || get_int(env, args.values[0], &fd, "fd") ||
      get_int(env, args.values[1], &backlog, "backlog")) {
    return NULL;
  }
  if (listen(fd, backlog) < 0) return sockcat_throw_errno(env, errno, "listen");
  return undefined_value(env);
}

/* accept(fd) -> { fd, address } or null when no connection is waiting. */
napi_value sockcat_accept(napi_env env, napi_callback_info info) {
  args_t args;
  int32_t fd;
  if (get_args(env, info, &args, 1) || get_int(env, args.values[0], &fd, "fd")) return NULL;
  struct sockaddr_storage address;
  socklen_t length = sizeof address;
  int client;
  do {
    client = accept4(fd, (struct sockaddr *)&address, &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
  } while (client < 0 && errno == EINTR);
  if (client < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return null_value(env);
    return sockcat_throw_errno(env, errno, "accept");
  }
  napi_value result;
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "fd", int_value(env, client));
  napi_set_named_property(env, result, "address", sockcat_address_to_js(env, &address, length));
  return result;
}

/*
 * send(fd, data, address?) -> bytes sent, or -1 when the socket buffer is full (wait for
 * writable). `address` (or null/undefined) is for unconnected datagram and raw sockets.
 */
napi_value sockcat_send(napi_env env, napi_callback_info info) {
  args_t args;
  int32_t fd;
  if (get_args(env, info, &args, 2) || get_int(env, args.values[0], &fd, "fd")) return NULL;
  void *data;
  size_t size;
  bool is_buffer = false;
  napi_is_buffer(env, args.values[1], &is_buffer);
  if (!is_buffer) {
    napi_throw_type_error(env, NULL, "data must be a Buffer");
    return NULL;
  }
  napi_get_buffer_info(env, args.values[1], &data, &size);
  struct sockaddr_storage address;
  socklen_t length = 0;
  napi_valuetype type = napi_undefined;
  if (args.count > 2) napi_typeof(env, args.values[2], &type);
  if (type != napi_undefined && type != napi_null) {
    if (sockcat_address_from_js(env, args.values[2], &address, &length)) return NULL;
  }
  ssize_t sent;
  do {
    sent = sendto(fd, data, size, MSG_NOSIGNAL, length ? (struct sockaddr *)&address : NULL,
                  length);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return int_value(env, -1);
    return sockcat_throw_errno(env, errno, "send");
  }
  return int_value(env, (int32_t)sent);
}

/*
 * recv(fd, maxSize) -> { data, address, truncated } or null when nothing is waiting. A
 * zero-length `data` on a stream or seqpacket socket is the end of the stream. `truncated`:
 * the message was longer than maxSize (the rest is lost, as the kernel discards it).
 */
napi_value sockcat_recv(napi_env env, napi_callback_info info) {
  args_t args;
  int32_t fd, max_size;
  if (get_args(env, info, &args, 2) || get_int(env, args.values[0], &fd, "fd") ||
      get_int(env, args.values[1], &max_size, "maxSize")) {
    return NULL;
  }
  if (max_size < 0) max_size = 0;
  /*
   * Received into a per-thread scratch buffer (the largest datagram fits), then copied into a
   * Buffer of the message's size: no allocation of maxSize bytes per call, none at all when
   * nothing is waiting.
   */
  static _Thread_local unsigned char scratch[65536 + 1];
  unsigned char *target = scratch;
  size_t capacity = (size_t)max_size < sizeof scratch - 1 ? (size_t)max_size : sizeof scratch - 1;
  void *large = NULL;
  if ((size_t)max_size > capacity) {
    large = malloc((size_t)max_size);
    if (!large) return sockcat_throw_errno(env, ENOMEM, "recv");
    target = large;
    capacity = (size_t)max_size;
  }
  struct sockaddr_storage address;
  struct iovec vector = {.iov_base = target, .iov_len = capacity};
  struct msghdr message = {
      .msg_name = &address, .msg_namelen = sizeof address, .msg_iov = &vector, .msg_iovlen = 1};
  ssize_t received;
  do {
    received = recvmsg(fd, &message, 0);
  } while (received < 0 && errno == EINTR);
  if (received < 0) {
    int err = errno;
    free(large);
    if (err == EAGAIN || err == EWOULDBLOCK) return null_value(env);
    return sockcat_throw_errno(env, err, "recv");
  }
  napi_value result, value, slice;
  void *copy;
  napi_status status = napi_create_buffer_copy(env, (size_t)received, target, &copy, &slice);
  free(large);
  if (status != napi_ok) return NULL;
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "data", slice);
  if (message.msg_namelen > 0) {
    napi_set_named_property(env, result, "address",
                            sockcat_address_to_js(env, &address, message.msg_namelen));
  }
  napi_get_boolean(env, (message.msg_flags & MSG_TRUNC) != 0, &value);
  napi_set_named_property(env, result, "truncated", value);
  return result;
}

/*
 * recvMany(fd, maxSize, maxCount, withSenders?) -> { data, lengths, senders?, truncated? }: the
 * messages back to back in one Buffer and their lengths (a Uint32Array), or null when nothing is
 * waiting; with `withSenders`, each message's sender address too (unconnected datagram sockets). One recvmmsg(2) takes up to
 * maxCount messages (fewer for large maxSize: at most 1 MiB is read per call). A message longer
 * than maxSize is cut and its index listed in `truncated`. A zero-length
 * message on a seqpacket socket is the end of the stream; nothing after it is read.
 */
#define BATCH_BYTES (1 << 20)
#define BATCH_MAX 64

napi_value sockcat_recv_many(napi_env env, napi_callback_info info) {
  args_t args;
  int32_t fd, max_size, max_count;
  if (get_args(env, info, &args, 3) || get_int(env, args.values[0], &fd, "fd") ||
      get_int(env, args.values[1], &max_size, "maxSize") ||
      get_int(env, args.values[2], &max_count, "maxCount")) {
    return NULL;
  }
  bool with_senders = false;
  if (args.count > 3) napi_get_value_bool(env, args.values[3], &with_senders);
  if (max_size < 1) max_size = 1;
  if (max_size > BATCH_BYTES) max_size = BATCH_BYTES;
  int count = max_count < 1 ? 1 : max_count > BATCH_MAX ? BATCH_MAX : max_count;
  if ((size_t)count * (size_t)max_size > BATCH_BYTES) count = BATCH_BYTES / max_size;
  /* A per-thread area, made on first use by a thread that receives in batches. */
  static _Thread_local unsigned char *area = NULL;
  if (!area) {
    area = malloc(BATCH_BYTES);
    if (!area) return sockcat_throw_errno(env, ENOMEM, "recv");
  }
  struct mmsghdr messages[BATCH_MAX];
  struct iovec vectors[BATCH_MAX];
  struct sockaddr_storage senders[BATCH_MAX];
  memset(messages, 0, sizeof messages[0] * (size_t)count);
  for (int i = 0; i < count; i++) {
    vectors[i].iov_base = area + (size_t)i * (size_t)max_size;
    vectors[i].iov_len = (size_t)max_size;
    messages[i].msg_hdr.msg_iov = &vectors[i];
    messages[i].msg_hdr.msg_iovlen = 1;
    if (with_senders) {
      messages[i].msg_hdr.msg_name = &senders[i];
      messages[i].msg_hdr.msg_namelen = sizeof senders[i];
    }
  }
  int received;
  do {
    received = recvmmsg(fd, messages, (unsigned int)count, MSG_DONTWAIT, NULL);
  } while (received < 0 && errno == EINTR);
  if (received < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return null_value(env);
    return sockcat_throw_errno(env, errno, "recv");
  }
  /* One Buffer for the whole batch, the messages back to back, and their lengths: JS slices it. */
  size_t total = 0;
  for (int i = 0; i < received; i++) total += messages[i].msg_len;
  napi_value result, data, lengths_buffer, lengths, truncated = NULL;
  unsigned char *bytes;
  if (napi_create_buffer(env, total, (void **)&bytes, &data) != napi_ok) return NULL;
  uint32_t *sizes;
  if (napi_create_arraybuffer(env, sizeof(uint32_t) * (size_t)received, (void **)&sizes,
                              &lengths_buffer) != napi_ok) {
    return NULL;
  }
  napi_create_typedarray(env, napi_uint32_array, (size_t)received, lengths_buffer, 0, &lengths);
  size_t offset = 0;
  uint32_t cut = 0;
  for (int i = 0; i < received; i++) {
    memcpy(bytes + offset, vectors[i].iov_base, messages[i].msg_len);
    offset += messages[i].msg_len;
    sizes[i] = messages[i].msg_len;
    if (messages[i].msg_hdr.msg_flags & MSG_TRUNC) {
      if (!truncated) napi_create_array(env, &truncated);
      napi_set_element(env, truncated, cut++, int_value(env, i));
    }
  }
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "data", data);
  napi_set_named_property(env, result, "lengths", lengths);
  if (with_senders) {
    napi_value list;
    napi_create_array_with_length(env, (size_t)received, &list);
    for (int i = 0; i < received; i++) {
      /* An unbound sender has no name: undefined. */
      socklen_t length = messages[i].msg_hdr.msg_namelen;
      napi_value sender = length == 0 ? undefined_value(env)
                                      : sockcat_address_to_js(env, &senders[i], length);
      napi_set_element(env, list, (uint32_t)i, sender);
    }
    napi_set_named_property(env, result, "senders", list);
  }
  if (truncated) napi_set_named_property(env, result, "truncated", truncated);
  return result;
}

/* shutdown(fd, how): 0 read, 1 write, 2 both. ENOTCONN is not an error here. */
napi_value sockcat_shutdown(napi_env env, napi_callback_info info) {
  args_t args;
  int32_t fd, how;
  if (get_args(env, info, &args, 2) || get_int(env, args.values[0], &fd, "fd") ||
      get_int(env, args.values[1], &how, "how")) {
    return NULL;
  }
  if (shutdown(fd, how) < 0 && errno != ENOTCONN) return sockcat_throw_errno(env, errno, "shutdown");
  return undefined_value(env);
}

/* close(fd) */
napi_value sockcat_close(napi_env env, napi_callback_info info) {
  args_t args;
  int32_t fd;
  if (get_args(env, info, &args, 1) || get_int(env, args.values[0], &fd, "fd")) return NULL;
  /* On Linux the fd is released even when close() reports EINTR: never retry. */
  if (close(fd) < 0 && errno != EINTR) return sockcat_throw_errno(env, errno, "close");
  return undefined_value(env);
}

static napi_value name_of(napi_env env, napi_callback_info info, int peer) {
  args_t args;
  int32_t fd;
  if (get_args(env, info, &args, 1) || get_int(env, args.values[0], &fd, "fd")) return NULL;
  struct sockaddr_storage address;
  socklen_t length = sizeof address;
  int rc = peer ? getpeername(fd, (struct sockaddr *)&address, &length)
                : getsockname(fd, (struct sockaddr *)&address, &length);
  if (rc < 0) {
    if (peer && errno == ENOTCONN) return null_value(env);
    return sockcat_throw_errno(env, errno, peer ? "getpeername" : "getsockname");
  }
  return sockcat_address_to_js(env, &address, length);
}

napi_value sockcat_getsockname(napi_env env, napi_callback_info info) {
  return name_of(env, info, 0);
}

/* getpeername(fd) -> address, or null when not connected. */
napi_value sockcat_getpeername(napi_env env, napi_callback_info info) {
  return name_of(env, info, 1);
}

/* setsockoptInt(fd, level, name, value) */
napi_value sockcat_setsockopt_int(napi_env env, napi_callback_info info) {
  args_t args;
  int32_t fd, level, name, value;
  if (get_args(env, info, &args, 4) || get_int(env, args.values[0], &fd, "fd") ||
      get_int(env, args.values[1], &level, "level") ||
      get_int(env, args.values[2], &name, "name") ||
      get_int(env, args.values[3], &value, "value")) {
    return NULL;
  }
  int option = value;
  if (setsockopt(fd, level, name, &option, sizeof option) < 0) {
    return sockcat_throw_errno(env, errno, "setsockopt");
  }
  return undefined_value(env);
}

/* getsockoptInt(fd, level, name) -> value */
napi_value sockcat_getsockopt_int(napi_env env, napi_callback_info info) {
  args_t args;
  int32_t fd, level, name;
  if (get_args(env, info, &args, 3) || get_int(env, args.values[0], &fd, "fd") ||
      get_int(env, args.values[1], &level, "level") ||
      get_int(env, args.values[2], &name, "name")) {
    return NULL;
  }
  int option = 0;
  socklen_t length = sizeof option;
  if (getsockopt(fd, level, name, &option, &length) < 0) {
    return sockcat_throw_errno(env, errno, "getsockopt");
  }
  return int_value(env, option);
}

/* setsockoptBuffer(fd, level, name, buffer): options whose value is a struct or a string. */
napi_value sockcat_setsockopt_buffer(napi_env env, napi_callback_info info) {
  args_t args;
  int32_t fd, level, name;
  if (get_args(env, info, &args, 4) || get_int(env, args.values[0], &fd, "fd") ||
      get_int(env, args.values[1], &level, "level") ||
      get_int(env, args.values[2], &name, "name")) {
    return NULL;
  }
  bool is_buffer = false;
  napi_is_buffer(env, args.values[3], &is_buffer);
  if (!is_buffer) {
    napi_throw_type_error(env, NULL, "value must be a Buffer");
    return NULL;
  }
  void *data;
  size_t size;
  napi_get_buffer_info(env, args.values[3], &data, &size);
  if (setsockopt(fd, level, name, data, (socklen_t)size) < 0) {
    return sockcat_throw_errno(env, errno, "setsockopt");
  }
  return undefined_value(env);
}

#define CONSTANT(name) {#name, name}

napi_value sockcat_constants(napi_env env) {
  static const struct {
    const char *name;
    int value;
  } table[] = {
      CONSTANT(AF_UNIX),       CONSTANT(AF_INET),         CONSTANT(AF_INET6),
      CONSTANT(SOCK_STREAM),   CONSTANT(SOCK_DGRAM),      CONSTANT(SOCK_SEQPACKET),
      CONSTANT(SOCK_RAW),      CONSTANT(SOL_SOCKET),      CONSTANT(IPPROTO_IP),
      CONSTANT(IPPROTO_IPV6),  CONSTANT(IPPROTO_TCP),     CONSTANT(IPPROTO_UDP),
      CONSTANT(IPPROTO_ICMP),  CONSTANT(IPPROTO_ICMPV6),  CONSTANT(IPPROTO_RAW),
      CONSTANT(SO_REUSEADDR),  CONSTANT(SO_REUSEPORT),    CONSTANT(SO_KEEPALIVE),
      CONSTANT(SO_SNDBUF),     CONSTANT(SO_RCVBUF),       CONSTANT(SO_BROADCAST),
      CONSTANT(SO_BINDTODEVICE), CONSTANT(SO_ERROR),      CONSTANT(SO_TYPE),
      CONSTANT(TCP_NODELAY),   CONSTANT(TCP_KEEPIDLE),    CONSTANT(TCP_KEEPINTVL),
      CONSTANT(TCP_KEEPCNT),   CONSTANT(IP_TTL),          CONSTANT(IP_TOS),
      CONSTANT(IP_HDRINCL),    CONSTANT(IPV6_UNICAST_HOPS), CONSTANT(IPV6_TCLASS),
      CONSTANT(IP_MULTICAST_TTL), CONSTANT(IP_MULTICAST_LOOP),
  };
  napi_value object;
  napi_create_object(env, &object);
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    napi_set_named_property(env, object, table[i].name, int_value(env, table[i].value));
  }
  return object;
}
