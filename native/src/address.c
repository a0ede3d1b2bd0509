/* Socket addresses between JavaScript objects and struct sockaddr (see address.h). */
#include "address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>

static int type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return -1;
}

static int has_property(napi_env env, napi_value object, const char *name) {
  bool has = false;
  napi_has_named_property(env, object, name, &has);
  return has;
}

int sockcat_address_from_js(napi_env env, napi_value value, struct sockaddr_storage *out,
                            socklen_t *length) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  if (type != napi_object) return type_error(env, "address must be an object");
  memset(out, 0, sizeof *out);

  if (has_property(env, value, "path")) {
    napi_value path_value;
    napi_get_named_property(env, value, "path", &path_value);
    struct sockaddr_un *un = (struct sockaddr_un *)out;
    char path[sizeof un->sun_path + 1];
    size_t path_length = 0;
    if (napi_get_value_string_utf8(env, path_value, path, sizeof path, &path_length) != napi_ok) {
      return type_error(env, "address.path must be a string");
    }
    if (path_length >= sizeof un->sun_path) {
      return type_error(env, "Unix socket path too long (at most 107 bytes)");
    }
    un->sun_family = AF_UNIX;
    if (path_length == 0) {
      *length = offsetof(struct sockaddr_un, sun_path);
    } else if (path[0] == '@') {
      /* Linux abstract namespace: a leading NUL, the name, no terminator. */
      un->sun_path[0] = '\0';
      memcpy(un->sun_path + 1, path + 1, path_length - 1);
      *length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_length);
    } else {
      memcpy(un->sun_path, path, path_length);
      *length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + path_length + 1);
    }
    return 0;
  }

  napi_value address_value, port_value;
  char text[INET6_ADDRSTRLEN + 1];
  size_t text_length = 0;
  uint32_t port = 0;
  if (!has_property(env, value, "address")) {
    return type_error(env, "address needs `path`, or `address` and `port`");
  }
  napi_get_named_property(env, value, "address", &address_value);
  if (napi_get_value_string_utf8(env, address_value, text, sizeof text, &text_length) != napi_ok) {
    return type_error(env, "address.address must be a string");
  }
  if (has_property(env, value, "port")) {
    napi_get_named_property(env, value, "port", &port_value);
    if (napi_get_value_uint32(env, port_value, &port) != napi_ok || port > 65535) {
      return type_error(env, "address.port must be a number from 0 to 65535");
    }
  }
  struct sockaddr_in *in4 = (struct sockaddr_in *)out;
  if (inet_pton(AF_INET, text, &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)port);
    *length = sizeof *in4;
    return 0;
  }
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
  if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    *length = sizeof *in6;
    return 0;
  }
  return type_error(env, "address.address is not an IPv4 or IPv6 address");
}

static void set_string(napi_env env, napi_value object, const char *name, const char *text,
                       size_t length) {
  napi_value value;
  napi_create_string_utf8(env, text, length, &value);
  napi_set_named_property(env, object, name, value);
}

static void set_int(napi_env env, napi_value object, const char *name, int32_t number) {
  napi_value value;
  napi_create_int32(env, number, &value);
  napi_set_named_property(env, object, name, value);
}

napi_value sockcat_address_to_js(napi_env env, const struct sockaddr_storage *address,
                                 socklen_t length) {
  napi_value object;
  napi_create_object(env, &object);
  char text[INET6_ADDRSTRLEN];
  switch (address->ss_family) {
    case AF_UNIX: {
      const struct sockaddr_un *un = (const struct sockaddr_un *)address;
      size_t path_length = length > offsetof(struct sockaddr_un, sun_path)
                               ? length - offsetof(struct sockaddr_un, sun_path)
                               : 0;
      if (path_length == 0) {
        set_string(env, object, "path", "", 0);
      } else if (un->sun_path[0] == '\0') {
        char name[sizeof un->sun_path + 1];
        name[0] = '@';
        memcpy(name + 1, un->sun_path + 1, path_length - 1);
        set_string(env, object, "path", name, path_length);
      } else {
        set_string(env, object, "path", un->sun_path, strnlen(un->sun_path, path_length));
      }
      break;
    }
    case AF_INET: {
      const struct sockaddr_in *in4 = (const struct sockaddr_in *)address;
      inet_ntop(AF_INET, &in4->sin_addr, text, sizeof text);
      set_string(env, object, "address", text, NAPI_AUTO_LENGTH);
      set_int(env, object, "port", ntohs(in4->sin_port));
      set_int(env, object, "family", 4);
      break;
    }
    case AF_INET6: {
      const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)address;
      inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
      set_string(env, object, "address", text, NAPI_AUTO_LENGTH);
      set_int(env, object, "port", ntohs(in6->sin6_port));
      set_int(env, object, "family", 6);
      break;
    }
    default:
      set_int(env, object, "family", address->ss_family);
  }
  return object;
}
