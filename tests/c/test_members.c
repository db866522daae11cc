/* The scope catalog and the members the host declares. */
#include "harness.h"

/* 1 when `a` appears before `b` in `s`. */
static int before(const char *s, const char *a, const char *b)
{
    const char *pa = strstr(s, a), *pb = strstr(s, b);
    return pa && pb && pa < pb;
}

int main(void)
{
    ta_store *store = th_open(th_db_path("members.db"), NULL);
    char *json = NULL, *obj;
    char name63[64], name64[65];

    memset(name63, 'a', 63);
    name63[63] = '\0';
    memset(name64, 'a', 64);
    name64[64] = '\0';

    /* ---- the default catalog */
    CHECK_STATUS(ta_scope_list(store, &json), TA_OK);
    CHECK(json_array_len(json) == 7);
    CHECK(before(json, "\"admin\"", "\"assets:read\"") && before(json, "\"assets:read\"", "\"assets:write\"") &&
          before(json, "\"assets:write\"", "\"tickets:read\"") && before(json, "\"tickets:write\"", "\"users:read\"") &&
          before(json, "\"users:read\"", "\"users:write\""));
    obj = json_find_object(json, "scope", "tickets:write");
    CHECK(obj && json_has_item(obj, "implies", "tickets:read") && json_get(obj, "description"));
    free(obj);
    obj = json_find_object(json, "scope", "tickets:read");
    CHECK(obj && json_len_is(obj, "implies", 0));
    free(obj);
    if (json_array_len(json) != 7)
        SHOW_JSON("ta_scope_list", json);
    ta_free(json);

    /* ---- defining scopes */
    CHECK_STATUS(ta_scope_define(store, "reports:read", NULL, "Read reports"), TA_OK);
    CHECK_STATUS(ta_scope_define(store, "reports:write", "reports:read", NULL), TA_OK);
    CHECK_STATUS(ta_scope_define(store, "reports:read", "reports:write", NULL), TA_INVALID_ARGUMENT); /* a cycle */
    CHECK_STATUS(ta_scope_define(store, "reports:admin", "reports:write nope:nope", NULL), TA_UNKNOWN_SCOPE);
    CHECK_STATUS(ta_scope_define(store, "Reports", NULL, NULL), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_scope_define(store, "reports read", NULL, NULL), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_scope_define(store, "", NULL, NULL), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_scope_define(store, NULL, NULL, NULL), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_scope_define(store, name64, NULL, NULL), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_scope_define(store, name63, NULL, NULL), TA_OK);
    CHECK_STATUS(ta_scope_define(store, "reports:read", "bad scope!", NULL), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_scope_list(store, &json), TA_OK);
    CHECK(json_array_len(json) == 10);
    obj = json_find_object(json, "scope", "reports:write");
    CHECK(obj && json_has_item(obj, "implies", "reports:read"));
    free(obj);
    obj = json_find_object(json, "scope", "reports:read");
    CHECK(obj && json_str_is(obj, "description", "Read reports"));
    free(obj);
    ta_free(json);
    /* NULL keeps the description, "" clears it. */
    CHECK_STATUS(ta_scope_define(store, "reports:read", NULL, NULL), TA_OK);
    CHECK_STATUS(ta_scope_list(store, &json), TA_OK);
    obj = json_find_object(json, "scope", "reports:read");
    CHECK(obj && json_str_is(obj, "description", "Read reports"));
    free(obj);
    ta_free(json);
    CHECK_STATUS(ta_scope_define(store, "reports:read", NULL, ""), TA_OK);
    CHECK_STATUS(ta_scope_list(store, &json), TA_OK);
    obj = json_find_object(json, "scope", "reports:read");
    CHECK(obj && !json_str_is(obj, "description", "Read reports"));
    free(obj);
    ta_free(json);

    /* ---- members */
    CHECK_STATUS(ta_member_put(store, "zoe", "admin"), TA_OK);
    CHECK_STATUS(ta_member_put(store, "bob", "tickets:read ManagePersonalAccessTokens tickets:read"), TA_OK);
    CHECK_STATUS(ta_member_put(store, "carol", "ListAccessTokens"), TA_OK);
    CHECK_STATUS(ta_member_put(store, "dave.ops@example.com", "ManageServiceAccessTokens reports:write"), TA_OK);
    CHECK_STATUS(ta_member_put(store, "Ann_1:x-y", ""), TA_OK);
    CHECK_STATUS(ta_member_put(store, name63, ""), TA_OK);
    CHECK_STATUS(ta_member_put(store, name64, ""), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_member_put(store, "system", ""), TA_INVALID_ARGUMENT); /* reserved for the host */
    CHECK_STATUS(ta_member_put(store, "bad id", ""), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_member_put(store, "bad/id", ""), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_member_put(store, "", ""), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_member_put(store, NULL, ""), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_member_put(store, "erin", NULL), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_member_put(store, "erin", "tickets:read nope:nope"), TA_UNKNOWN_SCOPE);
    CHECK_STATUS(ta_member_put(store, "erin", "Not-An-Action"), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_member_put(NULL, "erin", ""), TA_INVALID_ARGUMENT);

    CHECK_STATUS(ta_member_list(store, &json), TA_OK);
    CHECK(json_array_len(json) == 6);
    CHECK(json_count_objects(json, "id", "erin") == 0); /* failed puts wrote nothing */
    CHECK(before(json, "\"Ann_1:x-y\"", "\"bob\"") && before(json, "\"bob\"", "\"carol\"") &&
          before(json, "\"carol\"", "\"dave.ops@example.com\"") && before(json, "\"dave.ops@example.com\"", "\"zoe\""));
    obj = json_find_object(json, "id", "bob");
    CHECK(obj && json_raw_is(obj, "active", "true"));
    CHECK(obj && json_len_is(obj, "permissions", 2) && json_has_item(obj, "permissions", "tickets:read") &&
          json_has_item(obj, "permissions", "ManagePersonalAccessTokens"));
    CHECK(obj && before(obj, "\"ManagePersonalAccessTokens\"", "\"tickets:read\"")); /* sorted by bytes */
    if (!obj || !json_len_is(obj, "permissions", 2))
        SHOW_JSON("bob", obj);
    free(obj);
    ta_free(json);

    /* Updating replaces the permissions. */
    CHECK_STATUS(ta_member_put(store, "bob", "reports:read"), TA_OK);
    CHECK_STATUS(ta_member_list(store, &json), TA_OK);
    obj = json_find_object(json, "id", "bob");
    CHECK(obj && json_len_is(obj, "permissions", 1) && json_has_item(obj, "permissions", "reports:read"));
    free(obj);
    ta_free(json);

    /* Deactivating and activating. */
    CHECK_STATUS(ta_member_set_active(store, "bob", false), TA_OK);
    CHECK_STATUS(ta_member_list(store, &json), TA_OK);
    obj = json_find_object(json, "id", "bob");
    CHECK(obj && json_raw_is(obj, "active", "false"));
    free(obj);
    ta_free(json);
    CHECK_STATUS(ta_member_set_active(store, "bob", false), TA_OK); /* again: harmless */
    CHECK_STATUS(ta_member_set_active(store, "bob", true), TA_OK);
    CHECK_STATUS(ta_member_list(store, &json), TA_OK);
    obj = json_find_object(json, "id", "bob");
    CHECK(obj && json_raw_is(obj, "active", "true"));
    free(obj);
    ta_free(json);
    CHECK_STATUS(ta_member_set_active(store, "nobody-here", true), TA_NOT_FOUND);
    CHECK_STATUS(ta_member_set_active(store, "bad id", true), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_member_set_active(store, NULL, true), TA_INVALID_ARGUMENT);

    /* Removing. */
    CHECK_STATUS(ta_member_remove(store, "carol"), TA_OK);
    CHECK_STATUS(ta_member_remove(store, "carol"), TA_NOT_FOUND);
    CHECK_STATUS(ta_member_set_active(store, "carol", true), TA_NOT_FOUND);
    CHECK_STATUS(ta_member_remove(store, "system"), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_member_remove(store, NULL), TA_INVALID_ARGUMENT);
    CHECK_STATUS(ta_member_list(store, &json), TA_OK);
    CHECK(json_array_len(json) == 5 && json_count_objects(json, "id", "carol") == 0);
    ta_free(json);
    /* The same id can be declared again. */
    CHECK_STATUS(ta_member_put(store, "carol", ""), TA_OK);

    /* ---- every change is in the audit log */
    CHECK_STATUS(ta_audit(store, NULL, "event=member.removed", &json), TA_OK);
    CHECK(json_array_len(json) == 1 && json_str_is(json, "member_id", "carol") && json_str_is(json, "actor", "system"));
    ta_free(json);
    CHECK_STATUS(ta_audit(store, NULL, "event=member.deactivated", &json), TA_OK);
    CHECK(json_array_len(json) == 2); /* also the call that changed nothing */
    ta_free(json);
    CHECK_STATUS(ta_audit(store, NULL, "event=member.activated", &json), TA_OK);
    CHECK(json_array_len(json) == 1);
    ta_free(json);
    CHECK_STATUS(ta_audit(store, NULL, "event=member.put", &json), TA_OK);
    CHECK(json_array_len(json) == 8);
    ta_free(json);
    CHECK_STATUS(ta_audit(store, NULL, "event=scope.defined", &json), TA_OK);
    CHECK(json_array_len(json) == 5);
    if (json_array_len(json) != 5)
        SHOW_JSON("scope.defined", json);
    ta_free(json);

    ta_close(store);
    return finish();
}
