/* System libpq, the PostgreSQL client library (Debian: libpq-dev for building, libpq5 at run time).
   libtokenauth does not link it: it is loaded with dlopen on the first postgresql:// open, so that
   SQLite-only deployments need only libc, libsqlite3 and libcrypto. This header declares the
   table of the functions the PostgreSQL backend uses, filled from dlsym (Sources/TokenAuthCore/
   Storage/PostgreSQL/LibPQ.swift). Only types and declarations live here; no code. */
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>
#endif

/* One field per libpq function used, of exactly that function's type. */
typedef struct ta_libpq {
    __typeof__(PQclear) *_Nonnull PQclear;
    __typeof__(PQcmdTuples) *_Nonnull PQcmdTuples;
    __typeof__(PQconnectPoll) *_Nonnull PQconnectPoll;
    __typeof__(PQconnectStartParams) *_Nonnull PQconnectStartParams;
    __typeof__(PQconninfoFree) *_Nonnull PQconninfoFree;
    __typeof__(PQconninfoParse) *_Nonnull PQconninfoParse;
    __typeof__(PQconsumeInput) *_Nonnull PQconsumeInput;
    __typeof__(PQerrorMessage) *_Nonnull PQerrorMessage;
    __typeof__(PQfinish) *_Nonnull PQfinish;
    __typeof__(PQfreemem) *_Nonnull PQfreemem;
    __typeof__(PQgetResult) *_Nonnull PQgetResult;
    __typeof__(PQgetisnull) *_Nonnull PQgetisnull;
    __typeof__(PQgetlength) *_Nonnull PQgetlength;
    __typeof__(PQgetvalue) *_Nonnull PQgetvalue;
    __typeof__(PQisBusy) *_Nonnull PQisBusy;
    __typeof__(PQnfields) *_Nonnull PQnfields;
    __typeof__(PQnotifies) *_Nonnull PQnotifies;
    __typeof__(PQntuples) *_Nonnull PQntuples;
    __typeof__(PQresultErrorField) *_Nonnull PQresultErrorField;
    __typeof__(PQresultErrorMessage) *_Nonnull PQresultErrorMessage;
    __typeof__(PQresultStatus) *_Nonnull PQresultStatus;
    __typeof__(PQsendPrepare) *_Nonnull PQsendPrepare;
    __typeof__(PQsendQuery) *_Nonnull PQsendQuery;
    __typeof__(PQsendQueryPrepared) *_Nonnull PQsendQueryPrepared;
    __typeof__(PQsetNoticeProcessor) *_Nonnull PQsetNoticeProcessor;
    __typeof__(PQsocket) *_Nonnull PQsocket;
    __typeof__(PQstatus) *_Nonnull PQstatus;
    __typeof__(PQtransactionStatus) *_Nonnull PQtransactionStatus;
} ta_libpq;
