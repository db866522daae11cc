/* System SQLite (Debian: libsqlite3-dev). Only the public header; no code lives here. */
#include <sqlite3.h>
