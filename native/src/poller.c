/*
 * Poller: readiness of a file descriptor from the event loop (libuv's uv_poll), so a socket the
 * addon created waits without a thread or busy polling.
 *
 *   const poller = new Poller(fd, (status, readable, writable) => {...});
 *   poller.start(readable, writable);   // what to wait for; (false, false) stops
 *   poller.stop(); poller.ref(); poller.unref(); poller.close();
 *
 * While started, the poller keeps itself (and the event loop, unless unref'd) alive. close()
 * must come before the fd is closed. The callback runs through napi_make_callback, so promises
 * it settles run their reactions before the loop goes on.
 */
#include "poller.h"

#include <stdlib.h>
#include <uv.h>

typedef struct {
  uv_poll_t handle;
  napi_env env;
  /* The JavaScript object: weak, and strong while the poller is started. */
  napi_ref self;
  napi_ref callback;
  napi_async_context async;
  int started;
  int closing;
  int finalized;
} poller_t;

static void on_handle_closed(uv_handle_t *handle) {
  poller_t *poller = handle->data;
  /* The JavaScript object may still exist (close() was called): it frees us when collected. */
  poller->closing = 2;
  if (poller->finalized) free(poller);
}

static void release(poller_t *poller) {
  napi_env env = poller->env;
  if (poller->started) {
    uv_poll_stop(&poller->handle);
    poller->started = 0;
    if (!poller->finalized) napi_reference_unref(env, poller->self, NULL);
  }
  if (poller->callback) {
    napi_delete_reference(env, poller->callback);
    poller->callback = NULL;
  }
  if (poller->async) {
    napi_async_destroy(env, poller->async);
    poller->async = NULL;
  }
  if (!poller->closing) {
    poller->closing = 1;
    uv_close((uv_handle_t *)&poller->handle, on_handle_closed);
  }
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  poller_t *poller = data;
  poller->finalized = 1;
  if (poller->self) {
    napi_delete_reference(env, poller->self);
    poller->self = NULL;
  }
  if (poller->closing == 2) {
    free(poller);
    return;
  }
  release(poller);
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  poller_t *poller = handle->data;
  if (!poller->callback) return;
  napi_env env = poller->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value self, callback, argv[3];
  napi_get_reference_value(env, poller->self, &self);
  napi_get_reference_value(env, poller->callback, &callback);
  napi_create_int32(env, status, &argv[0]);
  napi_get_boolean(env, (events & UV_READABLE) != 0, &argv[1]);
  napi_get_boolean(env, (events & UV_WRITABLE) != 0, &argv[2]);
  if (self && callback) {
    napi_status result = napi_make_callback(env, poller->async, self, callback, 3, argv, NULL);
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (result != napi_ok && pending) {
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
    }
  }
  napi_close_handle_scope(env, scope);
}

static poller_t *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  napi_get_cb_info(env, info, argc, argv, &self, NULL);
  poller_t *poller = NULL;
  if (napi_unwrap(env, self, (void **)&poller) != napi_ok || poller == NULL) {
    napi_throw_type_error(env, NULL, "not a Poller");
    return NULL;
  }
  return poller;
}

static napi_value construct(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  napi_get_cb_info(env, info, &argc, argv, &self, NULL);
  int32_t fd;
  napi_valuetype type = napi_undefined;
  if (argc >= 2) napi_typeof(env, argv[1], &type);
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "new Poller(fd, callback)");
    return NULL;
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    napi_throw_error(env, NULL, "no event loop");
    return NULL;
  }
  poller_t *poller = calloc(1, sizeof *poller);
  if (!poller) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  int rc = uv_poll_init_socket(loop, &poller->handle, fd);
  if (rc != 0) {
    free(poller);
    napi_throw_error(env, uv_err_name(rc), uv_strerror(rc));
    return NULL;
  }
  poller->handle.data = poller;
  poller->env = env;
  napi_value name;
  napi_create_string_utf8(env, "sockcat:Poller", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, self, name, &poller->async);
  napi_create_reference(env, argv[1], 1, &poller->callback);
  napi_wrap(env, self, poller, finalize, NULL, &poller->self);
  return self;
}

static napi_value start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  poller_t *poller = unwrap(env, info, &argc, argv);
  if (!poller) return NULL;
  if (poller->closing) {
    napi_throw_error(env, "ERR_CLOSED", "Poller is closed");
    return NULL;
  }
  bool readable = false, writable = false;
  if (argc > 0) napi_get_value_bool(env, argv[0], &readable);
  if (argc > 1) napi_get_value_bool(env, argv[1], &writable);
  int events = (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0);
  if (events == 0) {
    if (poller->started) {
      uv_poll_stop(&poller->handle);
      poller->started = 0;
      napi_reference_unref(env, poller->self, NULL);
    }
    return NULL;
  }
  int rc = uv_poll_start(&poller->handle, events, on_poll);
  if (rc != 0) {
    napi_throw_error(env, uv_err_name(rc), uv_strerror(rc));
    return NULL;
  }
  if (!poller->started) {
    poller->started = 1;
    napi_reference_ref(env, poller->self, NULL);
  }
  return NULL;
}

static napi_value stop(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  poller_t *poller = unwrap(env, info, &argc, NULL);
  if (!poller || !poller->started) return NULL;
  uv_poll_stop(&poller->handle);
  poller->started = 0;
  napi_reference_unref(env, poller->self, NULL);
  return NULL;
}

static napi_value set_ref(napi_env env, napi_callback_info info, int on) {
  size_t argc = 0;
  poller_t *poller = unwrap(env, info, &argc, NULL);
  if (!poller || poller->closing) return NULL;
  if (on) uv_ref((uv_handle_t *)&poller->handle);
  else uv_unref((uv_handle_t *)&poller->handle);
  return NULL;
}

static napi_value ref(napi_env env, napi_callback_info info) { return set_ref(env, info, 1); }
static napi_value unref(napi_env env, napi_callback_info info) { return set_ref(env, info, 0); }

static napi_value close_poller(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  poller_t *poller = unwrap(env, info, &argc, NULL);
  if (!poller) return NULL;
  release(poller);
  return NULL;
}

int sockcat_define_poller(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"start", NULL, start, NULL, NULL, NULL, napi_default, NULL},
      {"stop", NULL, stop, NULL, NULL, NULL, napi_default, NULL},
      {"ref", NULL, ref, NULL, NULL, NULL, napi_default, NULL},
      {"unref", NULL, unref, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, close_poller, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value constructor;
  if (napi_define_class(env, "Poller", NAPI_AUTO_LENGTH, construct, NULL,
                        sizeof methods / sizeof methods[0], methods, &constructor) != napi_ok) {
    return -1;
  }
  return napi_set_named_property(env, exports, "Poller", constructor) == napi_ok ? 0 : -1;
}
