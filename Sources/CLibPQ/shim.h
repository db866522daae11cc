/* System libpq, the PostgreSQL client library (Debian: libpq-dev). Only the public header; no code
   lives here. Debian installs it under /usr/include/postgresql, which pkg-config's libpq.pc adds
   to the include path (Package.swift names it); the fallback spelling needs no -I at all. */
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>
#endif
