/*
 * copy: move bytes from one file descriptor to another off the JavaScript thread, until the
 * source's end of file, an error, or stop(). The data path of the relays when no tap needs to
 * see the bytes (src/relay/native-copy.ts).
 *
 *   const handle = copyStart(src, dst, mechanism, (result) => {...});
 *   copyBytes(handle);  // bytes written to dst so far (read from JavaScript at any time)
 *   copyStop(handle);   // ends it; the callback still comes, once the thread has left the fds
 *
 * mechanism: "auto" picks by the descriptors' types (see choose()); "sendfile", "splice" (through
 * a pipe of our own when neither side is a pipe) and "rw" (a reused buffer) force one.
 *
 * The thread copies between duplicates of src and dst (closed when it ends, before the callback),
 * so the caller may close its own descriptors at any time. It never blocks in a syscall: every transfer is non-blocking (MSG_DONTWAIT,
 * SPLICE_F_NONBLOCK, or an fd the event loop already made non-blocking) and waits in poll(2)
 * together with an eventfd that stop() signals. The callback gets
 * { bytes, mechanism, error?: { code, errno, syscall }, failed?: 'read' | 'write' }; an error on
 * the destination is 'write', on the source 'read'.
 */
#define _GNU_SOURCE
#include "copy.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "errors.h"

enum mechanism { M_RW, M_SPLICE, M_SPLICE_PIPE, M_SENDFILE };
static const char *mechanism_names[] = {"rw", "splice", "splice-pipe", "sendfile"};

/* One transfer per call: large enough that a syscall moves a lot, small enough to stay in cache. */
#define CHUNK (1024 * 1024)
/* Our own pipe (splice between two non-pipes) and the given pipes are grown to this. */
#define PIPE_SIZE (1024 * 1024)

typedef struct {
  int src, dst, wake;
  int src_socket, dst_socket;
  int src_blocking, dst_blocking;
  enum mechanism mechanism;
  int pipe[2];
  char *buffer;
  _Atomic uint64_t bytes;
  atomic_int stopped;
  int error;
  const char *syscall;
  int failed_write;
  napi_threadsafe_function tsfn;
  pthread_t thread;
  int joined;
} copy_t;

static int is_pipe(int fd, int *socket) {
  struct stat st;
  if (fstat(fd, &st) != 0) return 0;
  *socket = S_ISSOCK(st.st_mode);
  return S_ISFIFO(st.st_mode);
}

/*
 * Pipes and sockets are made non-blocking, as the event loop does for its own; returns 1 for a
 * descriptor left blocking (a terminal, a device), which is then polled before each transfer.
 */
static int make_nonblocking(int fd) {
  struct stat st;
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || (flags & O_NONBLOCK)) return 0;
  if (fstat(fd, &st) != 0 || S_ISREG(st.st_mode)) return 0;
  if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    return 0;
  }
  return 1;
}

static int is_stream(int fd) {
  int type = 0;
  socklen_t length = sizeof type;
  return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 && type == SOCK_STREAM;
}

static enum mechanism choose(copy_t *c, const char *wanted) {
  struct stat st;
  int src_pipe = is_pipe(c->src, &c->src_socket);
  int dst_pipe = is_pipe(c->dst, &c->dst_socket);
  int src_file = fstat(c->src, &st) == 0 && S_ISREG(st.st_mode);
  if (strcmp(wanted, "rw") == 0) return M_RW;
  if (strcmp(wanted, "sendfile") == 0) return src_file ? M_SENDFILE : M_RW;
  if (strcmp(wanted, "splice") == 0) return src_pipe || dst_pipe ? M_SPLICE : M_SPLICE_PIPE;
  /* auto: measured in bench/README.md ("native data path"). */
  if (src_file) return M_SENDFILE;
  if (src_pipe || dst_pipe) return M_SPLICE;
  /* Through a pipe of our own into what takes splice: a file, /dev/null (memory devices), and
     between two sockets (a tunnel, a forward, an exec child's socket pair: the relay's CPU per
     GB falls from 0.45-0.48 s to 0.19-0.30 s, bench/README.md); a terminal gets a buffer. */
  struct stat dst_st;
  int spliceable = fstat(c->dst, &dst_st) == 0 &&
                   (S_ISREG(dst_st.st_mode) || S_ISSOCK(dst_st.st_mode) ||
                    (S_ISCHR(dst_st.st_mode) && major(dst_st.st_rdev) == 1));
  /* Between sockets only stream sockets: splice would merge a datagram socket's messages. */
  if (S_ISSOCK(dst_st.st_mode) && !(c->src_socket && is_stream(c->src) && is_stream(c->dst)))
    spliceable = 0;
  return spliceable ? M_SPLICE_PIPE : M_RW;
}

/* Wait until fd has `events` (or an error/hangup to report); 0 when ready, -1 once stopped. */
static int wait_for(copy_t *c, int fd, short events) {
  for (;;) {
    if (atomic_load(&c->stopped)) return -1;
    struct pollfd fds[2] = {{fd, events, 0}, {c->wake, POLLIN, 0}};
    int n = poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return 0; /* let the transfer report the problem */
    if (fds[1].revents) return -1;
    if (fds[0].revents) return 0;
  }
}

static void fail(copy_t *c, int error, const char *syscall, int on_write) {
  c->error = error;
  c->syscall = syscall;
  c->failed_write = on_write;
}

/* Write all of buffer[0..length) to dst; 0, or -1 after fail()/stop. */
static int write_all(copy_t *c, const char *buffer, size_t length) {
  size_t off = 0;
  while (off < length) {
    if (c->dst_blocking && wait_for(c, c->dst, POLLOUT) < 0) return -1;
    ssize_t w = c->dst_socket ? send(c->dst, buffer + off, length - off, MSG_DONTWAIT | MSG_NOSIGNAL)
                              : write(c->dst, buffer + off, length - off);
    if (w >= 0) {
      off += (size_t)w;
      /* Counted as written: a failure later in this chunk leaves the count exact. */
      atomic_fetch_add(&c->bytes, (uint64_t)w);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (wait_for(c, c->dst, POLLOUT) < 0) return -1;
      continue;
    }
    fail(c, errno, c->dst_socket ? "send" : "write", 1);
    return -1;
  }
  return 0;
}

static void run_rw(copy_t *c) {
  for (;;) {
    if (atomic_load(&c->stopped)) return;
    /* A blocking source (a terminal) is only read once it has something: stop() stays prompt. */
    if (c->src_blocking && wait_for(c, c->src, POLLIN) < 0) return;
    ssize_t n = c->src_socket ? recv(c->src, c->buffer, CHUNK, MSG_DONTWAIT)
                              : read(c->src, c->buffer, CHUNK);
    if (n == 0) return;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (wait_for(c, c->src, POLLIN) < 0) return;
        continue;
      }
      fail(c, errno, c->src_socket ? "recv" : "read", 0);
      return;
    }
    if (write_all(c, c->buffer, (size_t)n) < 0) return;
  }
}

static void run_sendfile(copy_t *c) {
  for (;;) {
    if (atomic_load(&c->stopped)) return;
    ssize_t n = sendfile(c->dst, c->src, NULL, CHUNK);
    if (n > 0) {
      atomic_fetch_add(&c->bytes, (uint64_t)n);
      continue;
    }
    if (n == 0) return;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      if (wait_for(c, c->dst, POLLOUT) < 0) return;
      continue;
    }
    /* The file is read through the page cache: a failure is the destination's, but for EIO. */
    fail(c, errno, "sendfile", errno != EIO);
    return;
  }
}

/* splice() fails with the error of either side: the side that is not a pipe is the socket. */
static void fail_splice(copy_t *c, int error, int src_is_pipe) {
  int on_write = error == EPIPE || src_is_pipe;
  fail(c, error, "splice", on_write);
}

/*
 * Move from `from` to `to` (one of them a pipe), waiting for whichever side is not ready.
 * Returns the bytes moved, 0 at the source's end, -1 after fail()/stop.
 */
static ssize_t splice_some(copy_t *c, int from, int to, size_t length, int from_pipe) {
  for (;;) {
    if (atomic_load(&c->stopped)) return -1;
    ssize_t n = splice(from, NULL, to, NULL, length, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      fail_splice(c, errno, from_pipe);
      return -1;
    }
    /* Either side may not be ready: look at both, then wait for one that is not. */
    struct pollfd fds[2] = {{from, POLLIN, 0}, {to, POLLOUT, 0}};
    if (poll(fds, 2, 0) < 0 && errno != EINTR) {
      fail(c, errno, "poll", 0);
      return -1;
    }
    if (fds[0].revents && fds[1].revents) continue;
    int waited = fds[0].revents ? wait_for(c, to, POLLOUT) : wait_for(c, from, POLLIN);
    if (waited < 0) return -1;
  }
}

static void run_splice(copy_t *c) {
  int src_socket;
  int src_pipe = is_pipe(c->src, &src_socket);
  for (;;) {
    ssize_t n = splice_some(c, c->src, c->dst, CHUNK, src_pipe);
    if (n <= 0) return;
    atomic_fetch_add(&c->bytes, (uint64_t)n);
  }
}

static void run_splice_pipe(copy_t *c) {
  for (;;) {
    ssize_t n = splice_some(c, c->src, c->pipe[1], PIPE_SIZE, 0);
    if (n <= 0) return;
    size_t pending = (size_t)n;
    while (pending > 0) {
      ssize_t m = splice_some(c, c->pipe[0], c->dst, pending, 1);
      if (m < 0) return;
      if (m == 0) {
        fail(c, EIO, "splice", 1);
        return;
      }
      pending -= (size_t)m;
      /* What reached dst, not what was taken from src: exact when dst fails midway. */
      atomic_fetch_add(&c->bytes, (uint64_t)m);
    }
  }
}

static void *thread_main(void *data) {
  copy_t *c = data;
  switch (c->mechanism) {
    case M_RW: run_rw(c); break;
    case M_SENDFILE: run_sendfile(c); break;
    case M_SPLICE:
      run_splice(c);
      /* A descriptor that does not take splice (EINVAL) before anything moved: use a buffer. */
      if (c->error == EINVAL && atomic_load(&c->bytes) == 0) {
        c->error = 0;
        c->buffer = malloc(CHUNK);
        c->mechanism = M_RW;
        if (c->buffer) run_rw(c);
        else fail(c, ENOMEM, "malloc", 0);
      }
      break;
    case M_SPLICE_PIPE:
      run_splice_pipe(c);
      /* A socket family that does not take splice (EINVAL) before anything moved (nothing
         written, nothing left in our pipe): a buffer. */
      int pending = 0;
      if (c->error == EINVAL && atomic_load(&c->bytes) == 0 &&
          ioctl(c->pipe[0], FIONREAD, &pending) == 0 && pending == 0) {
        c->error = 0;
        c->buffer = malloc(CHUNK);
        c->mechanism = M_RW;
        if (c->buffer) run_rw(c);
        else fail(c, ENOMEM, "malloc", 0);
      }
      break;
  }
  /* Our duplicates go before JavaScript hears of the end: a reader of dst then sees EOF as soon
     as JavaScript closes its own descriptor, and nothing here touches a descriptor again. */
  close(c->src);
  close(c->dst);
  c->src = c->dst = -1;
  napi_call_threadsafe_function(c->tsfn, c, napi_tsfn_blocking);
  napi_release_threadsafe_function(c->tsfn, napi_tsfn_release);
  return NULL;
}

static void free_copy(copy_t *c) {
  if (c->src >= 0) close(c->src);
  if (c->dst >= 0) close(c->dst);
  if (c->wake >= 0) close(c->wake);
  if (c->pipe[0] >= 0) close(c->pipe[0]);
  if (c->pipe[1] >= 0) close(c->pipe[1]);
  free(c->buffer);
  free(c);
}

static void set_string(napi_env env, napi_value object, const char *name, const char *value) {
  napi_value v;
  napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, object, name, v);
}

/* On the JavaScript thread, once the copy thread is done with the fds. */
static void call_js(napi_env env, napi_value callback, void *context, void *data) {
  (void)context;
  copy_t *c = data;
  if (!c->joined) {
    pthread_join(c->thread, NULL);
    c->joined = 1;
  }
  if (env == NULL) return;
  napi_value result, value, undefined;
  napi_create_object(env, &result);
  napi_create_double(env, (double)atomic_load(&c->bytes), &value);
  napi_set_named_property(env, result, "bytes", value);
  set_string(env, result, "mechanism", mechanism_names[c->mechanism]);
  if (c->error) {
    napi_value error;
    napi_create_object(env, &error);
    set_string(env, error, "code", sockcat_errno_code(c->error));
    set_string(env, error, "syscall", c->syscall);
    set_string(env, error, "message", strerror(c->error));
    napi_create_int32(env, -c->error, &value);
    napi_set_named_property(env, error, "errno", value);
    napi_set_named_property(env, result, "error", error);
    set_string(env, result, "failed", c->failed_write ? "write" : "read");
  }
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, callback, 1, &result, NULL);
}

/* The handle's finalizer: the copy may outlive the handle object until its callback has run. */
static void finalize_tsfn(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  copy_t *c = data;
  if (!c->joined) pthread_join(c->thread, NULL);
  free_copy(c);
}

static copy_t *unwrap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_external(env, argv[0], &data) != napi_ok) {
    napi_throw_type_error(env, NULL, "a copy handle is required");
    return NULL;
  }
  return data;
}

napi_value sockcat_copy_start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t src, dst;
  char wanted[16] = "auto";
  size_t len;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &src) != napi_ok ||
      napi_get_value_int32(env, argv[1], &dst) != napi_ok ||
      napi_get_value_string_utf8(env, argv[2], wanted, sizeof wanted, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "copyStart(src, dst, mechanism, callback)");
    return NULL;
  }
  copy_t *c = calloc(1, sizeof *c);
  if (!c) return sockcat_throw_errno(env, ENOMEM, "copyStart");
  c->src = c->dst = -1;
  /* The thread works on duplicates: whoever owns src and dst may close them at any time (Node
     destroying a socket) without the thread ever touching a closed or reused descriptor. */
  c->pipe[0] = c->pipe[1] = -1;
  c->wake = -1;
  c->src = fcntl(src, F_DUPFD_CLOEXEC, 3);
  c->dst = c->src < 0 ? -1 : fcntl(dst, F_DUPFD_CLOEXEC, 3);
  if (c->src < 0 || c->dst < 0) {
    int err = errno;
    free_copy(c);
    return sockcat_throw_errno(env, err, "dup");
  }
  c->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (c->wake < 0) {
    int err = errno;
    free_copy(c);
    return sockcat_throw_errno(env, err, "eventfd");
  }
  c->mechanism = choose(c, wanted);
  c->src_blocking = make_nonblocking(c->src);
  c->dst_blocking = make_nonblocking(c->dst);
  if (c->mechanism == M_SPLICE_PIPE) {
    if (pipe2(c->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
      c->mechanism = M_RW;
    } else {
      fcntl(c->pipe[1], F_SETPIPE_SZ, PIPE_SIZE);
    }
  }
  if (c->mechanism == M_SPLICE) {
    /* A bigger pipe moves more per splice; refused (a lower limit) costs nothing. */
    int ignored;
    if (is_pipe(c->src, &ignored)) fcntl(c->src, F_SETPIPE_SZ, PIPE_SIZE);
    if (is_pipe(c->dst, &ignored)) fcntl(c->dst, F_SETPIPE_SZ, PIPE_SIZE);
  }
  if (c->mechanism == M_RW) {
    c->buffer = malloc(CHUNK);
    if (!c->buffer) {
      free_copy(c);
      return sockcat_throw_errno(env, ENOMEM, "copyStart");
    }
  }
  napi_value name;
  napi_create_string_utf8(env, "sockcat.copy", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[3], NULL, name, 0, 1, c, finalize_tsfn, NULL,
                                      call_js, &c->tsfn) != napi_ok) {
    free_copy(c);
    napi_throw_error(env, NULL, "copyStart: cannot create the completion callback");
    return NULL;
  }
  int err = pthread_create(&c->thread, NULL, thread_main, c);
  if (err != 0) {
    c->joined = 1;
    napi_release_threadsafe_function(c->tsfn, napi_tsfn_abort);
    return sockcat_throw_errno(env, err, "pthread_create");
  }
  napi_value handle;
  napi_create_external(env, c, NULL, NULL, &handle);
  return handle;
}

napi_value sockcat_copy_stop(napi_env env, napi_callback_info info) {
  copy_t *c = unwrap(env, info);
  if (!c) return NULL;
  atomic_store(&c->stopped, 1);
  uint64_t one = 1;
  ssize_t ignored = write(c->wake, &one, sizeof one);
  (void)ignored;
  return NULL;
}

napi_value sockcat_copy_bytes(napi_env env, napi_callback_info info) {
  copy_t *c = unwrap(env, info);
  if (!c) return NULL;
  napi_value value;
  napi_create_double(env, (double)atomic_load(&c->bytes), &value);
  return value;
}

napi_value sockcat_copy_mechanism(napi_env env, napi_callback_info info) {
  copy_t *c = unwrap(env, info);
  if (!c) return NULL;
  napi_value value;
  napi_create_string_utf8(env, mechanism_names[c->mechanism], NAPI_AUTO_LENGTH, &value);
  return value;
}
