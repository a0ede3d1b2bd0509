{
  "targets": [
    {
      "target_name": "sockcat_native",
      "sources": ["src/addon.c", "src/reuseport.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
