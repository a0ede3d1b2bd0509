{
  "targets": [
    {
      "target_name": "sockcat_native",
      "sources": ["src/addon.c", "src/address.c", "src/dtls.c", "src/poller.c", "src/reuseport.c", "src/sock.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "defines": ["NAPI_VERSION=8", "OPENSSL_SUPPRESS_DEPRECATED"]
    }
  ]
}
