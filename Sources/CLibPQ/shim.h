// libpq for CryptodSinks (the only importer). Swift cannot import libpq's character-literal macros
// (PG_DIAG_*), so the few diagnostic fields the sink reads are wrapped here.
#ifndef CRYPTOD_CLIBPQ_SHIM_H
#define CRYPTOD_CLIBPQ_SHIM_H

#include <libpq-fe.h>
#include <postgres_ext.h>

/// The five-character SQLSTATE of a failed result, or NULL.
static inline const char *cryptod_pq_sqlstate(const PGresult *result) {
    return PQresultErrorField(result, PG_DIAG_SQLSTATE);
}

/// The primary error message of a failed result (no "ERROR:" prefix, no detail lines), or NULL.
static inline const char *cryptod_pq_message_primary(const PGresult *result) {
    return PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
}

/// Where the error happened (for COPY: "COPY stage_trades, line 3, column price: …"), or NULL.
static inline const char *cryptod_pq_context(const PGresult *result) {
    return PQresultErrorField(result, PG_DIAG_CONTEXT);
}

#endif
