/* make bench-console: how long one ta_token_page takes in a store of N tokens (default 1,000,000),
   for the console's list: the first page, a page deep down the cursor, a filter that matches rarely
   (one call examines at most 20,000 tokens), a member who sees only its own 10 tokens, and the
   status filter. Each is the median of 9 calls (ms). Usage: token_pages DB N */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tokenauth.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void check(ta_status s, const char *what)
{
    if (s != TA_OK) {
        fprintf(stderr, "%s: %s: %s\n", what, ta_status_name(s), ta_last_error());
        exit(1);
    }
}

/* The median time of 9 calls, and the page's "next" cursor copied into `next` (may be NULL). */
static double time_page(ta_store *store, const char *actor, const char *query, const char *name, char *next, size_t size)
{
    double times[9];
    for (int i = 0; i < 9; i++) {
        char *json = NULL;
        double start = now_ms();
        check(ta_token_page(store, actor, query, name, &json), query ? query : "page");
        times[i] = now_ms() - start;
        if (next && i == 0) {
            const char *found = strstr(json, "\"next\":\"");
            next[0] = '\0';
            if (found) snprintf(next, size, "%.20s", found + 8);
        }
        ta_free(json);
    }
    qsort(times, 9, sizeof times[0], compare);
    return times[4];
}

int main(int argc, char **argv)
{
    if (argc != 3) { fprintf(stderr, "usage: %s DB N\n", argv[0]); return 2; }
    long n = atol(argv[2]);
    ta_store *store = NULL;
    check(ta_open(argv[1], NULL, &store), "ta_open");
    check(ta_member_put(store, "ops", "ManageServiceAccessTokens ListAccessTokens tickets:read"), "member ops");
    check(ta_member_put(store, "alice", "ManagePersonalAccessTokens tickets:read"), "member alice");
    ta_token_spec specs[TA_BATCH_MAX];
    for (int i = 0; i < TA_BATCH_MAX; i++)
        specs[i] = (ta_token_spec){.name = "bulk service", .kind = TA_KIND_SERVICE, .scopes = "tickets:read"};
    double start = now_ms();
    for (long made = 0; made < n; made += TA_BATCH_MAX) {
        size_t count = (size_t)(n - made < TA_BATCH_MAX ? n - made : TA_BATCH_MAX);
        check(ta_token_create_batch(store, NULL, specs, count, NULL, NULL), "create");
        if (made == n / 2) {   /* alice's 10 tokens sit in the middle of the id order */
            for (int i = 0; i < 10; i++) {
                ta_token_spec mine = {.name = "alice laptop", .kind = TA_KIND_PERSONAL, .scopes = "tickets:read"};
                check(ta_token_create(store, "alice", &mine, NULL, NULL), "alice");
            }
        }
    }
    printf("bench-console: %ld tokens created in %.1f s\n", n, (now_ms() - start) / 1e3);
    char next[32], deep[64];
    printf("  first page (50)                    %8.2f ms\n", time_page(store, "ops", "limit=50", NULL, next, sizeof next));
    /* Walk to the middle with pages of 1,000, then time the page there. */
    snprintf(deep, sizeof deep, "limit=1000");
    for (long seen = 0; seen < n / 2; seen += 1000) {
        char *json = NULL, query[64];
        check(ta_token_page(store, "ops", deep, NULL, &json), "walk");
        const char *found = strstr(json, "\"next\":\"");
        if (!found) { ta_free(json); break; }
        snprintf(query, sizeof query, "limit=1000 after=%.20s", found + 8);
        snprintf(deep, sizeof deep, "%s", query);
        ta_free(json);
    }
    char middle[96];
    snprintf(middle, sizeof middle, "limit=50 %s", strstr(deep, "after="));
    printf("  page at the middle (after=…)       %8.2f ms\n", time_page(store, "ops", middle, NULL, NULL, 0));
    printf("  with 14 days of usage per token    %8.2f ms\n", time_page(store, "ops", "limit=50 usage_days=14", NULL, NULL, 0));
    printf("  name filter matching nothing       %8.2f ms (examines 20,000 tokens)\n",
           time_page(store, "ops", "limit=50", "no such name", NULL, 0));
    printf("  status=inactive (none)             %8.2f ms (examines 20,000 tokens)\n",
           time_page(store, "ops", "limit=50 status=inactive", NULL, NULL, 0));
    printf("  alice, who sees her 10 tokens      %8.2f ms\n", time_page(store, "alice", "limit=50", NULL, NULL, 0));
    ta_close(store);
    return 0;
}
