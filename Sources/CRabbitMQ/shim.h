// rabbitmq-c 0.11 (Debian 12). Only CryptodSinks (and its tests) import this module.
// amqp_login is variadic and the method ids and property flags are cast/shift macros, none of which Swift
// imports: they are wrapped here.
#ifndef CRYPTOD_CRABBITMQ_SHIM_H
#define CRYPTOD_CRABBITMQ_SHIM_H

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>

/// PLAIN login (amqp_login's SASL arguments are variadic).
static inline amqp_rpc_reply_t cryptod_amqp_login_plain(amqp_connection_state_t state, const char *vhost,
                                                       int frameMax, int heartbeatSeconds,
                                                       const char *user, const char *password) {
    return amqp_login(state, vhost, 0, frameMax, heartbeatSeconds, AMQP_SASL_METHOD_PLAIN, user, password);
}

/// Opens the TCP socket with a timeout in milliseconds.
static inline int cryptod_amqp_socket_open(amqp_socket_t *socket, const char *host, int port, long timeoutMilliseconds) {
    struct timeval timeout = { timeoutMilliseconds / 1000, (timeoutMilliseconds % 1000) * 1000 };
    return amqp_socket_open_noblock(socket, host, port, &timeout);
}

/// Waits for one frame for at most `timeoutMilliseconds` (AMQP_STATUS_TIMEOUT when none came).
static inline int cryptod_amqp_wait_frame(amqp_connection_state_t state, amqp_frame_t *frame, long timeoutMilliseconds) {
    struct timeval timeout = { timeoutMilliseconds / 1000, (timeoutMilliseconds % 1000) * 1000 };
    return amqp_simple_wait_frame_noblock(state, frame, &timeout);
}

/// Consumes one delivered message for at most `timeoutMilliseconds` (tests and tools).
static inline amqp_rpc_reply_t cryptod_amqp_consume(amqp_connection_state_t state, amqp_envelope_t *envelope,
                                                   long timeoutMilliseconds) {
    struct timeval timeout = { timeoutMilliseconds / 1000, (timeoutMilliseconds % 1000) * 1000 };
    return amqp_consume_message(state, envelope, &timeout, 0);
}

/// Sets the timeout of synchronous RPCs (declare, confirm.select, channel.open) in milliseconds.
static inline int cryptod_amqp_set_rpc_timeout(amqp_connection_state_t state, long timeoutMilliseconds) {
    struct timeval timeout = { timeoutMilliseconds / 1000, (timeoutMilliseconds % 1000) * 1000 };
    return amqp_set_rpc_timeout(state, &timeout);
}

static const amqp_method_number_t cryptod_amqp_basic_ack_method = AMQP_BASIC_ACK_METHOD;
static const amqp_method_number_t cryptod_amqp_basic_nack_method = AMQP_BASIC_NACK_METHOD;
static const amqp_method_number_t cryptod_amqp_basic_return_method = AMQP_BASIC_RETURN_METHOD;
static const amqp_method_number_t cryptod_amqp_channel_close_method = AMQP_CHANNEL_CLOSE_METHOD;
static const amqp_method_number_t cryptod_amqp_connection_close_method = AMQP_CONNECTION_CLOSE_METHOD;

static const amqp_flags_t cryptod_amqp_basic_content_type_flag = AMQP_BASIC_CONTENT_TYPE_FLAG;
static const amqp_flags_t cryptod_amqp_basic_headers_flag = AMQP_BASIC_HEADERS_FLAG;
static const amqp_flags_t cryptod_amqp_basic_delivery_mode_flag = AMQP_BASIC_DELIVERY_MODE_FLAG;
static const amqp_flags_t cryptod_amqp_basic_message_id_flag = AMQP_BASIC_MESSAGE_ID_FLAG;
static const amqp_flags_t cryptod_amqp_basic_timestamp_flag = AMQP_BASIC_TIMESTAMP_FLAG;
static const amqp_flags_t cryptod_amqp_basic_type_flag = AMQP_BASIC_TYPE_FLAG;
static const amqp_flags_t cryptod_amqp_basic_app_id_flag = AMQP_BASIC_APP_ID_FLAG;

#endif
