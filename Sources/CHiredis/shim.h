// hiredis 0.14 (Debian 12). Only CryptodSinks imports this module.
// redisCommand is variadic and unavailable in Swift: the sink uses redisAppendCommandArgv/redisGetReply.
#ifndef CRYPTOD_CHIREDIS_SHIM_H
#define CRYPTOD_CHIREDIS_SHIM_H

#include <hiredis/hiredis.h>
#include <sys/time.h>

/// The context's error text (a char[128] that Swift would see as a 128-element tuple).
static inline const char *cryptod_redis_errstr(const redisContext *context) {
    return context->errstr;
}

/// The context's error code (REDIS_ERR_IO, REDIS_ERR_EOF, ...); 0 when healthy.
static inline int cryptod_redis_err(const redisContext *context) {
    return context->err;
}

/// Connects with a timeout in milliseconds (builds the struct timeval on the C side).
static inline redisContext *cryptod_redis_connect(const char *host, int port, long timeoutMilliseconds) {
    struct timeval timeout = { timeoutMilliseconds / 1000, (timeoutMilliseconds % 1000) * 1000 };
    return redisConnectWithTimeout(host, port, timeout);
}

/// Sets the socket read/write timeout in milliseconds, so a hung server cannot block the sink's thread forever.
static inline int cryptod_redis_set_timeout(redisContext *context, long timeoutMilliseconds) {
    struct timeval timeout = { timeoutMilliseconds / 1000, (timeoutMilliseconds % 1000) * 1000 };
    return redisSetTimeout(context, timeout);
}

#endif
