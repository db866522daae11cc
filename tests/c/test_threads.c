/* Threads sharing one ta_store: verifications race with management calls, a revoke is honoured by
   every thread's next verification, concurrent creations all land, and the last error is
   per thread. */
#include "harness.h"

#include <pthread.h>
#include <time.h>

#define THREADS 4
#define ROUNDS 1500
#define CREATORS 2
#define CREATES 40

static ta_store *store;
static char *good_secret, *doomed_secret;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int revoked; /* set, under the lock, once ta_token_revoke has returned */

struct result {
    int wrong_good;    /* the good token not TA_OK */
    int wrong_doomed;  /* the doomed token: not OK before the revoke, not REVOKED after */
    int after_revoke;  /* verifications that started after the revoke returned */
};

static void *verifier(void *arg)
{
    struct result *r = arg;
    ta_verdict v;
    int i, done;
    for (i = 0; i < ROUNDS; i++) {
        ta_status s;
        if (ta_verify(store, good_secret, "tickets:read", &v) != TA_OK || v.status != TA_OK)
            r->wrong_good++;
        pthread_mutex_lock(&lock);
        done = revoked;
        pthread_mutex_unlock(&lock);
        s = ta_verify(store, doomed_secret, NULL, &v);
        if (done) {
            r->after_revoke++;
            if (s != TA_REVOKED)
                r->wrong_doomed++;
        } else if (s != TA_OK && s != TA_REVOKED) {
            r->wrong_doomed++;
        }
    }
    return NULL;
}

static void *creator(void *arg)
{
    int *failures = arg, i;
    char name[32];
    ta_token_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.kind = TA_KIND_SERVICE;
    spec.scopes = "tickets:read";
    for (i = 0; i < CREATES; i++) {
        char *secret = NULL;
        ta_verdict v;
        snprintf(name, sizeof name, "t%d", i);
        spec.name = name;
        if (ta_token_create(store, NULL, &spec, &secret, NULL) != TA_OK ||
            ta_verify(store, secret, "tickets:read", &v) != TA_OK)
            (*failures)++;
        ta_free(secret);
    }
    return NULL;
}

static char thread_error_at_start[8];
static char thread_error_after[256];

static void *error_thread(void *arg)
{
    (void)arg;
    snprintf(thread_error_at_start, sizeof thread_error_at_start, "%s", ta_last_error());
    (void)ta_member_put(store, "bad id!", "");
    snprintf(thread_error_after, sizeof thread_error_after, "%s", ta_last_error());
    return NULL;
}

int main(void)
{
    pthread_t threads[THREADS], creators[CREATORS], t;
    struct result results[THREADS];
    int failures[CREATORS], i, total_after = 0;
    char *doomed_id = NULL, *json = NULL, main_error[256];
    ta_token_spec spec;

    store = th_open(th_db_path("threads.db"), NULL);
    CHECK_STATUS(ta_member_put(store, "dev", "ManagePersonalAccessTokens tickets:read"), TA_OK);
    memset(&spec, 0, sizeof spec);
    spec.name = "good";
    spec.kind = TA_KIND_PERSONAL;
    spec.scopes = "tickets:read";
    CHECK_STATUS(ta_token_create(store, "dev", &spec, &good_secret, NULL), TA_OK);
    spec.name = "doomed";
    CHECK_STATUS(ta_token_create(store, "dev", &spec, &doomed_secret, &doomed_id), TA_OK);

    /* ---- verifications racing a revoke */
    memset(results, 0, sizeof results);
    for (i = 0; i < THREADS; i++)
        CHECK(pthread_create(&threads[i], NULL, verifier, &results[i]) == 0);
    for (i = 0; i < CREATORS; i++) {
        failures[i] = 0;
        CHECK(pthread_create(&creators[i], NULL, creator, &failures[i]) == 0);
    }
    {
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    CHECK_STATUS(ta_token_revoke(store, "dev", doomed_id), TA_OK);
    pthread_mutex_lock(&lock);
    revoked = 1;
    pthread_mutex_unlock(&lock);
    for (i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        CHECK_INT(results[i].wrong_good, 0);
        CHECK_INT(results[i].wrong_doomed, 0);
        total_after += results[i].after_revoke;
    }
    for (i = 0; i < CREATORS; i++) {
        pthread_join(creators[i], NULL);
        CHECK_INT(failures[i], 0);
    }
    printf("verifications after the revoke returned: %d (all TA_REVOKED)\n", total_after);
    CHECK_STATUS(ta_token_list(store, NULL, "kind=service", &json), TA_OK);
    CHECK_INT(json_array_len(json), CREATORS * CREATES);
    ta_free(json);

    /* ---- the last error belongs to the thread */
    CHECK_STATUS(ta_member_put(store, "system", ""), TA_INVALID_ARGUMENT);
    snprintf(main_error, sizeof main_error, "%s", ta_last_error());
    CHECK(main_error[0] != '\0');
    CHECK(pthread_create(&t, NULL, error_thread, NULL) == 0);
    pthread_join(t, NULL);
    CHECK_STR(thread_error_at_start, ""); /* a new thread starts clean */
    CHECK(thread_error_after[0] != '\0');
    CHECK_STR(ta_last_error(), main_error); /* untouched by the other thread */

    ta_free(good_secret);
    ta_free(doomed_secret);
    ta_free(doomed_id);
    ta_close(store);
    return finish();
}
