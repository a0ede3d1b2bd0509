/*
 * DTLS through the OpenSSL that Node ships (its headers come with Node's, its symbols are exported
 * by the node binary). JavaScript owns the UDP socket; each DTLS session here has a BIO that keeps
 * datagram boundaries both ways: a datagram received is handed in whole, and every record flight
 * OpenSSL writes comes out as its own datagram. Nothing here blocks or touches a socket.
 *
 * Every operation returns { out, data, state, timeoutMs, error, verifyCode }:
 *   out        datagrams to send to the peer, in order;
 *   data       application datagrams received (one per DTLS record);
 *   state      0 handshaking, 1 open, 2 the peer sent close_notify, 3 failed;
 *   timeoutMs  when to call dtlsTimeout() (RFC 6347 retransmission), -1 when no timer runs;
 *   error      OpenSSL's reason when state is 3; verifyCode the X509 verify result.
 *
 * Servers answer ClientHellos without a valid cookie with a HelloVerifyRequest from a listener
 * session (DTLSv1_listen keeps no state per peer); the cookie is an HMAC-SHA256 of the peer's
 * address under a process secret, valid for this minute and the previous one.
 */
#include <string.h>
#include <time.h>
#include <node_api.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "dtls.h"

#define MAX_OUT 64
#define PEER_KEY_MAX 96
#define COOKIE_LENGTH 32

typedef struct {
  SSL_CTX *ctx;
  int server;
  unsigned char *alpn; /* server: preference list in wire format */
  unsigned int alpn_len;
} dtls_context;

typedef struct {
  SSL *ssl;
  BIO *bio;
  /* The one datagram handed in, until OpenSSL reads it. */
  const unsigned char *in;
  size_t in_len;
  /* Datagrams OpenSSL wrote since the last result. */
  unsigned char *out[MAX_OUT];
  size_t out_len[MAX_OUT];
  int out_count;
  char peer[PEER_KEY_MAX];
  int failed;
  int peer_closed;
  napi_ref context_ref;
} dtls_session;

static BIO_METHOD *datagram_method;
static unsigned char cookie_secret[32];
static int cookie_secret_ready;

/* ---- the datagram BIO ------------------------------------------------------------------------ */

static int bio_write(BIO *bio, const char *data, int length) {
  dtls_session *session = BIO_get_data(bio);
  BIO_clear_retry_flags(bio);
  if (session == NULL || length <= 0) return 0;
  if (session->out_count >= MAX_OUT) {
    /* More than a flight's worth unread: drop, as a full socket buffer would. */
    return length;
  }
  unsigned char *copy = OPENSSL_malloc((size_t)length);
  if (copy == NULL) return -1;
  memcpy(copy, data, (size_t)length);
  session->out[session->out_count] = copy;
  session->out_len[session->out_count] = (size_t)length;
  session->out_count++;
  return length;
}

static int bio_read(BIO *bio, char *buffer, int size) {
  dtls_session *session = BIO_get_data(bio);
  BIO_clear_retry_flags(bio);
  if (session == NULL || session->in == NULL) {
    BIO_set_retry_read(bio);
    return -1;
  }
  /* A datagram longer than the buffer is cut, as recv() would. */
  size_t length = session->in_len < (size_t)size ? session->in_len : (size_t)size;
  memcpy(buffer, session->in, length);
  session->in = NULL;
  session->in_len = 0;
  return (int)length;
}

static long bio_ctrl(BIO *bio, int command, long number, void *pointer) {
  (void)number;
  (void)pointer;
  dtls_session *session = BIO_get_data(bio);
  switch (command) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_PENDING:
      return session != NULL && session->in != NULL ? (long)session->in_len : 0;
    case BIO_CTRL_WPENDING:
      return 0;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
    case BIO_CTRL_DGRAM_MTU_EXCEEDED:
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
    case BIO_CTRL_DGRAM_GET_PEER:
    case BIO_CTRL_DGRAM_SET_PEER:
    default:
      return 0;
  }
}

static int bio_create(BIO *bio) {
  BIO_set_init(bio, 1);
  return 1;
}

static int ensure_method(void) {
  if (datagram_method != NULL) return 1;
  BIO_METHOD *method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sockcat datagram");
  if (method == NULL) return 0;
  BIO_meth_set_write(method, bio_write);
  BIO_meth_set_read(method, bio_read);
  BIO_meth_set_ctrl(method, bio_ctrl);
  BIO_meth_set_create(method, bio_create);
  datagram_method = method;
  return 1;
}

/* ---- cookies ------------------------------------------------------------------------------- */

static void cookie_for(const char *peer, long minute, unsigned char *out) {
  unsigned char message[PEER_KEY_MAX + 16];
  size_t length = strlen(peer);
  memcpy(message, peer, length);
  memcpy(message + length, &minute, sizeof minute);
  unsigned int out_len = COOKIE_LENGTH;
  HMAC(EVP_sha256(), cookie_secret, sizeof cookie_secret, message, length + sizeof minute, out,
       &out_len);
}

static int cookie_generate(SSL *ssl, unsigned char *cookie, unsigned int *length) {
  dtls_session *session = SSL_get_app_data(ssl);
  if (session == NULL) return 0;
  cookie_for(session->peer, (long)(time(NULL) / 60), cookie);
  *length = COOKIE_LENGTH;
  return 1;
}

static int cookie_verify(SSL *ssl, const unsigned char *cookie, unsigned int length) {
  dtls_session *session = SSL_get_app_data(ssl);
  if (session == NULL || length != COOKIE_LENGTH) return 0;
  long minute = (long)(time(NULL) / 60);
  unsigned char expected[COOKIE_LENGTH];
  for (long m = minute; m >= minute - 1; m--) {
    cookie_for(session->peer, m, expected);
    if (CRYPTO_memcmp(expected, cookie, COOKIE_LENGTH) == 0) return 1;
  }
  return 0;
}

/* ---- N-API helpers ------------------------------------------------------------------------- */

static napi_value throw_openssl(napi_env env, const char *what) {
  char message[320];
  unsigned long code = ERR_get_error();
  const char *reason = code ? ERR_reason_error_string(code) : NULL;
  snprintf(message, sizeof message, "%s%s%s", what, reason ? ": " : "", reason ? reason : "");
  ERR_clear_error();
  napi_throw_error(env, "ERR_SOCKCAT_DTLS", message);
  return NULL;
}

static int get_buffer(napi_env env, napi_value object, const char *name, void **data, size_t *length) {
  bool has = false;
  napi_value value;
  if (napi_has_named_property(env, object, name, &has) != napi_ok || !has) return 0;
  napi_get_named_property(env, object, name, &value);
  bool is_buffer = false;
  napi_is_buffer(env, value, &is_buffer);
  if (!is_buffer) return 0;
  napi_get_buffer_info(env, value, data, length);
  return 1;
}

static int get_string(napi_env env, napi_value object, const char *name, char *out, size_t size) {
  bool has = false;
  napi_value value;
  napi_valuetype type;
  if (napi_has_named_property(env, object, name, &has) != napi_ok || !has) return 0;
  napi_get_named_property(env, object, name, &value);
  napi_typeof(env, value, &type);
  if (type != napi_string) return 0;
  size_t length = 0;
  napi_get_value_string_utf8(env, value, out, size, &length);
  return 1;
}

static int get_int(napi_env env, napi_value object, const char *name, int fallback) {
  bool has = false;
  napi_value value;
  napi_valuetype type;
  if (napi_has_named_property(env, object, name, &has) != napi_ok || !has) return fallback;
  napi_get_named_property(env, object, name, &value);
  napi_typeof(env, value, &type);
  if (type == napi_boolean) {
    bool flag = false;
    napi_get_value_bool(env, value, &flag);
    return flag ? 1 : 0;
  }
  if (type != napi_number) return fallback;
  int32_t number = fallback;
  napi_get_value_int32(env, value, &number);
  return number;
}

/* ---- contexts ------------------------------------------------------------------------------ */

static void finalize_context(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  dtls_context *context = data;
  SSL_CTX_free(context->ctx);
  OPENSSL_free(context->alpn);
  free(context);
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *out_len,
                       const unsigned char *in, unsigned int in_len, void *arg) {
  (void)ssl;
  dtls_context *context = arg;
  unsigned char *selected = NULL;
  if (SSL_select_next_proto(&selected, out_len, context->alpn, context->alpn_len, in, in_len) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

static int load_pem_chain(SSL_CTX *ctx, const void *data, size_t length) {
  BIO *bio = BIO_new_mem_buf(data, (int)length);
  if (bio == NULL) return 0;
  X509 *leaf = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL);
  int ok = leaf != NULL && SSL_CTX_use_certificate(ctx, leaf) == 1;
  X509_free(leaf);
  SSL_CTX_clear_chain_certs(ctx);
  X509 *extra;
  while (ok && (extra = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      ok = 0;
    }
  }
  BIO_free(bio);
  ERR_clear_error(); /* the end of the PEM list */
  return ok;
}

static int load_pem_key(SSL_CTX *ctx, const void *data, size_t length) {
  BIO *bio = BIO_new_mem_buf(data, (int)length);
  if (bio == NULL) return 0;
  EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
  BIO_free(bio);
  int ok = key != NULL && SSL_CTX_use_PrivateKey(ctx, key) == 1 && SSL_CTX_check_private_key(ctx) == 1;
  EVP_PKEY_free(key);
  return ok;
}

static int load_pem_cas(SSL_CTX *ctx, const void *data, size_t length) {
  BIO *bio = BIO_new_mem_buf(data, (int)length);
  if (bio == NULL) return 0;
  X509_STORE *store = SSL_CTX_get_cert_store(ctx);
  X509 *cert;
  int count = 0;
  while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
    X509_STORE_add_cert(store, cert);
    X509_free(cert);
    count++;
  }
  BIO_free(bio);
  ERR_clear_error();
  return count > 0;
}

/* dtlsContext({ server, cert?, key?, ca?, verifyPeer, ciphers?, minVersion, alpn? }) */
napi_value sockcat_dtls_context(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "dtlsContext(options)");
    return NULL;
  }
  if (!ensure_method()) return throw_openssl(env, "cannot create the DTLS datagram BIO");
  if (!cookie_secret_ready) {
    if (RAND_bytes(cookie_secret, sizeof cookie_secret) != 1) {
      return throw_openssl(env, "cannot make the DTLS cookie secret");
    }
    cookie_secret_ready = 1;
  }
  napi_value options = argv[0];
  int server = get_int(env, options, "server", 0);
  SSL_CTX *ctx = SSL_CTX_new(server ? DTLS_server_method() : DTLS_client_method());
  if (ctx == NULL) return throw_openssl(env, "cannot create a DTLS context");
  dtls_context *context = calloc(1, sizeof *context);
  context->ctx = ctx;
  context->server = server;
  napi_value result;
  if (napi_create_external(env, context, finalize_context, NULL, &result) != napi_ok) {
    finalize_context(env, context, NULL);
    return NULL;
  }
  void *data;
  size_t length;
  int min_version = get_int(env, options, "minVersion", DTLS1_2_VERSION);
  if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1) {
    return throw_openssl(env, "unsupported DTLS minimum version");
  }
  if (get_buffer(env, options, "cert", &data, &length) && !load_pem_chain(ctx, data, length)) {
    return throw_openssl(env, "cannot use the certificate");
  }
  if (get_buffer(env, options, "key", &data, &length) && !load_pem_key(ctx, data, length)) {
    return throw_openssl(env, "cannot use the private key");
  }
  if (get_buffer(env, options, "ca", &data, &length) && !load_pem_cas(ctx, data, length)) {
    return throw_openssl(env, "no CA certificate found in the trust list");
  }
  char ciphers[1024];
  if (get_string(env, options, "ciphers", ciphers, sizeof ciphers) &&
      SSL_CTX_set_cipher_list(ctx, ciphers) != 1) {
    return throw_openssl(env, "no usable cipher in the cipher list");
  }
  if (get_buffer(env, options, "alpn", &data, &length) && length > 0) {
    if (server) {
      context->alpn = OPENSSL_memdup(data, length);
      context->alpn_len = (unsigned int)length;
      SSL_CTX_set_alpn_select_cb(ctx, alpn_select, context);
    } else if (SSL_CTX_set_alpn_protos(ctx, data, (unsigned int)length) != 0) {
      return throw_openssl(env, "invalid ALPN list");
    }
  }
  int verify = get_int(env, options, "verifyPeer", 0);
  int mode = SSL_VERIFY_NONE;
  if (verify) mode = SSL_VERIFY_PEER | (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
  SSL_CTX_set_verify(ctx, mode, NULL);
  if (server) {
    SSL_CTX_set_cookie_generate_cb(ctx, cookie_generate);
    SSL_CTX_set_cookie_verify_cb(ctx, cookie_verify);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  }
  SSL_CTX_set_read_ahead(ctx, 1);
  return result;
}

/* ---- sessions ------------------------------------------------------------------------------ */

static void clear_output(dtls_session *session) {
  for (int i = 0; i < session->out_count; i++) OPENSSL_free(session->out[i]);
  session->out_count = 0;
}

static void finalize_session(napi_env env, void *data, void *hint) {
  (void)hint;
  dtls_session *session = data;
  clear_output(session);
  if (session->ssl != NULL) SSL_free(session->ssl); /* frees the BIO */
  if (session->context_ref != NULL) napi_delete_reference(env, session->context_ref);
  free(session);
}

static dtls_session *unwrap_session(napi_env env, napi_value value) {
  dtls_session *session = NULL;
  if (napi_get_value_external(env, value, (void **)&session) != napi_ok || session == NULL ||
      session->ssl == NULL) {
    napi_throw_type_error(env, NULL, "not a DTLS session");
    return NULL;
  }
  return session;
}

/* dtlsSession(context, { mtu, servername?, verifyHost?, verifyIp?, listener? }) */
napi_value sockcat_dtls_session(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  dtls_context *context = NULL;
  if (argc < 2 || napi_get_value_external(env, argv[0], (void **)&context) != napi_ok ||
      context == NULL) {
    napi_throw_type_error(env, NULL, "dtlsSession(context, options)");
    return NULL;
  }
  SSL *ssl = SSL_new(context->ctx);
  if (ssl == NULL) return throw_openssl(env, "cannot create a DTLS session");
  BIO *bio = BIO_new(datagram_method);
  if (bio == NULL) {
    SSL_free(ssl);
    return throw_openssl(env, "cannot create a DTLS session");
  }
  dtls_session *session = calloc(1, sizeof *session);
  session->ssl = ssl;
  session->bio = bio;
  BIO_set_data(bio, session);
  SSL_set_bio(ssl, bio, bio);
  SSL_set_app_data(ssl, session);
  napi_value result;
  if (napi_create_external(env, session, finalize_session, NULL, &result) != napi_ok) {
    finalize_session(env, session, NULL);
    return NULL;
  }
  napi_create_reference(env, argv[0], 1, &session->context_ref);
  napi_value options = argv[1];
  int mtu = get_int(env, options, "mtu", 1400);
  SSL_set_options(ssl, SSL_OP_NO_QUERY_MTU);
  SSL_set_mtu(ssl, mtu);
  DTLS_set_link_mtu(ssl, mtu);
  char text[256];
  if (get_string(env, options, "servername", text, sizeof text)) SSL_set_tlsext_host_name(ssl, text);
  if (get_string(env, options, "verifyHost", text, sizeof text)) SSL_set1_host(ssl, text);
  if (get_string(env, options, "verifyIp", text, sizeof text)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), text);
  }
  if (context->server) {
    if (get_int(env, options, "listener", 0)) SSL_set_options(ssl, SSL_OP_COOKIE_EXCHANGE);
    SSL_set_accept_state(ssl);
  } else {
    SSL_set_connect_state(ssl);
  }
  return result;
}

static void set_int(napi_env env, napi_value object, const char *name, int value) {
  napi_value number;
  napi_create_int32(env, value, &number);
  napi_set_named_property(env, object, name, number);
}

static void record_failure(dtls_session *session, char *reason, size_t size) {
  unsigned long code = ERR_get_error();
  const char *text = code ? ERR_reason_error_string(code) : NULL;
  snprintf(reason, size, "%s", text ? text : "the DTLS session failed");
  ERR_clear_error();
  session->failed = 1;
}

/* The result object of every operation; `data` holds application datagrams received. */
static napi_value make_result(napi_env env, dtls_session *session, napi_value data,
                              const char *error) {
  napi_value result, out, buffer;
  napi_create_object(env, &result);
  napi_create_array_with_length(env, (size_t)session->out_count, &out);
  for (int i = 0; i < session->out_count; i++) {
    napi_create_buffer_copy(env, session->out_len[i], session->out[i], NULL, &buffer);
    napi_set_element(env, out, (uint32_t)i, buffer);
  }
  clear_output(session);
  napi_set_named_property(env, result, "out", out);
  if (data == NULL) napi_create_array(env, &data);
  napi_set_named_property(env, result, "data", data);
  int state = session->failed ? 3 : session->peer_closed ? 2 : SSL_is_init_finished(session->ssl) ? 1 : 0;
  set_int(env, result, "state", state);
  struct timeval timeout;
  int ms = -1;
  if (state == 0 && DTLSv1_get_timeout(session->ssl, &timeout)) {
    ms = (int)(timeout.tv_sec * 1000 + timeout.tv_usec / 1000);
  }
  set_int(env, result, "timeoutMs", ms);
  set_int(env, result, "verifyCode", (int)SSL_get_verify_result(session->ssl));
  if (error != NULL) {
    napi_value text;
    napi_create_string_utf8(env, error, NAPI_AUTO_LENGTH, &text);
    napi_set_named_property(env, result, "error", text);
  }
  return result;
}

/* Run the handshake (if not done), then read every record of the datagram handed in. */
static napi_value advance(napi_env env, dtls_session *session) {
  char reason[256];
  const char *error = NULL;
  napi_value data;
  napi_create_array(env, &data);
  uint32_t count = 0;
  if (session->failed) return make_result(env, session, data, "the DTLS session failed");
  ERR_clear_error();
  if (!SSL_is_init_finished(session->ssl)) {
    int status = SSL_do_handshake(session->ssl);
    if (status <= 0) {
      int why = SSL_get_error(session->ssl, status);
      if (why != SSL_ERROR_WANT_READ && why != SSL_ERROR_WANT_WRITE) {
        record_failure(session, reason, sizeof reason);
        error = reason;
      }
    }
  }
  if (error == NULL && SSL_is_init_finished(session->ssl)) {
    unsigned char buffer[16384 + 256];
    for (;;) {
      int n = SSL_read(session->ssl, buffer, sizeof buffer);
      if (n > 0) {
        napi_value chunk;
        napi_create_buffer_copy(env, (size_t)n, buffer, NULL, &chunk);
        napi_set_element(env, data, count++, chunk);
        continue;
      }
      int why = SSL_get_error(session->ssl, n);
      if (why == SSL_ERROR_ZERO_RETURN) {
        session->peer_closed = 1;
      } else if (why != SSL_ERROR_WANT_READ && why != SSL_ERROR_WANT_WRITE) {
        record_failure(session, reason, sizeof reason);
        error = reason;
      }
      break;
    }
  }
  session->in = NULL;
  session->in_len = 0;
  return make_result(env, session, data, error);
}

/* dtlsReceive(session, datagram | null) */
napi_value sockcat_dtls_receive(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  dtls_session *session = argc >= 1 ? unwrap_session(env, argv[0]) : NULL;
  if (session == NULL) return NULL;
  bool is_buffer = false;
  if (argc >= 2) napi_is_buffer(env, argv[1], &is_buffer);
  if (is_buffer) {
    void *data;
    size_t length;
    napi_get_buffer_info(env, argv[1], &data, &length);
    session->in = data;
    session->in_len = length;
  }
  return advance(env, session);
}

/*
 * dtlsListen(listener, datagram, peerKey) -> 1 when the datagram is a ClientHello with a valid
 * cookie (the listener session then carries on the handshake with that peer), else 0 (a
 * HelloVerifyRequest may be in `out`). Keeps no state for the peer.
 */
napi_value sockcat_dtls_listen(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  dtls_session *session = argc >= 3 ? unwrap_session(env, argv[0]) : NULL;
  if (session == NULL) return NULL;
  void *data;
  size_t length;
  napi_get_buffer_info(env, argv[1], &data, &length);
  size_t key_length = 0;
  napi_get_value_string_utf8(env, argv[2], session->peer, sizeof session->peer, &key_length);
  session->in = data;
  session->in_len = length;
  BIO_ADDR *client = BIO_ADDR_new();
  ERR_clear_error();
  int status = DTLSv1_listen(session->ssl, client);
  BIO_ADDR_free(client);
  ERR_clear_error();
  session->in = NULL;
  session->in_len = 0;
  napi_value result = make_result(env, session, NULL, NULL);
  set_int(env, result, "accepted", status == 1 ? 1 : 0);
  return result;
}

/* dtlsWrite(session, data): one record per datagram, at most the data MTU each. */
napi_value sockcat_dtls_write(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  dtls_session *session = argc >= 2 ? unwrap_session(env, argv[0]) : NULL;
  if (session == NULL) return NULL;
  void *data;
  size_t length;
  napi_get_buffer_info(env, argv[1], &data, &length);
  char reason[256];
  const char *error = NULL;
  size_t max = DTLS_get_data_mtu(session->ssl);
  if (max == 0 || max > 16384) max = 16384;
  ERR_clear_error();
  for (size_t offset = 0; offset < length || (length == 0 && offset == 0);) {
    size_t piece = length - offset < max ? length - offset : max;
    if (piece == 0) break;
    int n = SSL_write(session->ssl, (const unsigned char *)data + offset, (int)piece);
    if (n <= 0) {
      record_failure(session, reason, sizeof reason);
      error = reason;
      break;
    }
    offset += (size_t)n;
  }
  return make_result(env, session, NULL, error);
}

/* dtlsShutdown(session): send close_notify. */
napi_value sockcat_dtls_shutdown(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  dtls_session *session = argc >= 1 ? unwrap_session(env, argv[0]) : NULL;
  if (session == NULL) return NULL;
  ERR_clear_error();
  if (SSL_is_init_finished(session->ssl) && !session->failed) SSL_shutdown(session->ssl);
  ERR_clear_error();
  return make_result(env, session, NULL, NULL);
}

/* dtlsTimeout(session): the retransmission timer fired (RFC 6347 4.2.4). */
napi_value sockcat_dtls_timeout(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  dtls_session *session = argc >= 1 ? unwrap_session(env, argv[0]) : NULL;
  if (session == NULL) return NULL;
  char reason[256];
  const char *error = NULL;
  ERR_clear_error();
  if (DTLSv1_handle_timeout(session->ssl) < 0) {
    record_failure(session, reason, sizeof reason);
    error = reason;
  }
  return make_result(env, session, NULL, error);
}

/* dtlsInfo(session) -> { protocol, cipher, alpn, certificate, verifyCode, verifyError, maxData } */
napi_value sockcat_dtls_info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  dtls_session *session = argc >= 1 ? unwrap_session(env, argv[0]) : NULL;
  if (session == NULL) return NULL;
  SSL *ssl = session->ssl;
  napi_value result, value;
  napi_create_object(env, &result);
  napi_create_string_utf8(env, SSL_get_version(ssl), NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, result, "protocol", value);
  const char *cipher = SSL_get_cipher_name(ssl);
  napi_create_string_utf8(env, cipher ? cipher : "", NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, result, "cipher", value);
  const unsigned char *alpn = NULL;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
  if (alpn_len > 0) {
    napi_create_string_utf8(env, (const char *)alpn, alpn_len, &value);
    napi_set_named_property(env, result, "alpn", value);
  }
  X509 *peer = SSL_get1_peer_certificate(ssl);
  if (peer != NULL) {
    unsigned char *der = NULL;
    int length = i2d_X509(peer, &der);
    if (length > 0) {
      napi_create_buffer_copy(env, (size_t)length, der, NULL, &value);
      napi_set_named_property(env, result, "certificate", value);
    }
    OPENSSL_free(der);
    X509_free(peer);
  }
  long verify = SSL_get_verify_result(ssl);
  set_int(env, result, "verifyCode", (int)verify);
  napi_create_string_utf8(env, X509_verify_cert_error_string(verify), NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, result, "verifyError", value);
  const char *servername = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (servername != NULL) {
    napi_create_string_utf8(env, servername, NAPI_AUTO_LENGTH, &value);
    napi_set_named_property(env, result, "servername", value);
  }
  set_int(env, result, "maxData", (int)DTLS_get_data_mtu(ssl));
  return result;
}

/* The OpenSSL build the addon runs with (Node's own). */
napi_value sockcat_dtls_version(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value value;
  napi_create_string_utf8(env, OpenSSL_version(OPENSSL_VERSION), NAPI_AUTO_LENGTH, &value);
  return value;
}
