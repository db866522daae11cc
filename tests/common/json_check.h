/* A strict JSON checker for the C test programs (tests/c, tests/reliability): RFC 8259 values,
   strings checked for well-formed UTF-8. Header-only; every function is static inline. */
#ifndef TA_TEST_JSON_CHECK_H
#define TA_TEST_JSON_CHECK_H

#include <stddef.h>
#include <string.h>

/* 1 when bytes [p, p+n) are well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
static inline int jc_utf8_valid(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t need;
        unsigned min, cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            need = 1, min = 0x80, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            need = 2, min = 0x800, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            need = 3, min = 0x10000, cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i <= need)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need + 1;
    }
    return 1;
}

static inline const char *jc_json_value(const char *p, int depth);

static inline const char *jc_json_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static inline int jc_hexdigit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* p at '"'; returns the character after the closing quote, or NULL. Checks escapes, control
   characters and the UTF-8 of the raw bytes. */
static inline const char *jc_json_string(const char *p)
{
    const char *start;
    if (*p != '"')
        return NULL;
    start = ++p;
    for (;;) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            break;
        if (c < 0x20)
            return NULL; /* control characters (and the end of the text) are not allowed */
        if (c == '\\') {
            p++;
            if (*p == 'u') {
                if (!jc_hexdigit(p[1]) || !jc_hexdigit(p[2]) || !jc_hexdigit(p[3]) || !jc_hexdigit(p[4]))
                    return NULL;
                p += 5;
                continue;
            }
            if (!*p || !strchr("\"\\/bfnrt", *p))
                return NULL;
        }
        p++;
    }
    if (!jc_utf8_valid((const unsigned char *)start, (size_t)(p - start)))
        return NULL;
    return p + 1;
}

static inline const char *jc_json_number(const char *p)
{
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return NULL;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return NULL;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return NULL;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return p;
}

/* p at a value (no leading white space); returns the end of the value, or NULL. */
static inline const char *jc_json_value(const char *p, int depth)
{
    if (depth > 64)
        return NULL;
    switch (*p) {
    case '"':
        return jc_json_string(p);
    case '{':
        p = jc_json_ws(p + 1);
        if (*p == '}')
            return p + 1;
        for (;;) {
            p = jc_json_string(p);
            if (!p)
                return NULL;
            p = jc_json_ws(p);
            if (*p != ':')
                return NULL;
            p = jc_json_value(jc_json_ws(p + 1), depth + 1);
            if (!p)
                return NULL;
            p = jc_json_ws(p);
            if (*p == '}')
                return p + 1;
            if (*p != ',')
                return NULL;
            p = jc_json_ws(p + 1);
        }
    case '[':
        p = jc_json_ws(p + 1);
        if (*p == ']')
            return p + 1;
        for (;;) {
            p = jc_json_value(p, depth + 1);
            if (!p)
                return NULL;
            p = jc_json_ws(p);
            if (*p == ']')
                return p + 1;
            if (*p != ',')
                return NULL;
            p = jc_json_ws(p + 1);
        }
    case 't':
        return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
    case 'f':
        return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
    case 'n':
        return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
    default:
        return jc_json_number(p);
    }
}

/* 1 when `s` is exactly one JSON value (white space around it allowed). */
static inline int jc_json_valid(const char *s)
{
    const char *end;
    if (!s)
        return 0;
    end = jc_json_value(jc_json_ws(s), 0);
    return end && *jc_json_ws(end) == '\0';
}

#endif /* TA_TEST_JSON_CHECK_H */
