#ifndef SOCKCAT_ERRORS_H
#define SOCKCAT_ERRORS_H

#include <node_api.h>

/* Throw an Error shaped like Node's system errors: message "syscall CODE", with code, errno, syscall. */
napi_value sockcat_throw_errno(napi_env env, int err, const char *syscall);
/* Node's name for an errno ("ECONNRESET"), or "EUNKNOWN". */
const char *sockcat_errno_code(int err);

#endif
