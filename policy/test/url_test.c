
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * rtk_url: every confusion class a webhook URL can hide in, each with
 * the exact outcome expected.
 */


#include "rtk_test.h"
#include "rtk_url.h"


#define RTK_NAME   RTK_URL_HOST_NAME
#define RTK_IPV4   RTK_URL_HOST_IPV4
#define RTK_IPV6   RTK_URL_HOST_IPV6


static void rtk_url_ok(const char *s, unsigned https, unsigned type,
    const char *host, unsigned port, const char *path, const char *query);
static void rtk_url_bad_n(const char *s, size_t len, const char *message);
static void rtk_url_bad(const char *s, const char *message);
static void rtk_pat_ok(const char *s, unsigned https, unsigned wildcard,
    unsigned type, const char *host, unsigned port, const char *path);
static void rtk_pat_bad(const char *s, const char *message);
static void rtk_match(const char *pattern, const char *s, int expect);
static void rtk_test_schemes(void);
static void rtk_test_userinfo(void);
static void rtk_test_bytes(void);
static void rtk_test_hosts(void);
static void rtk_test_ipv4(void);
static void rtk_test_ipv6(void);
static void rtk_test_ports(void);
static void rtk_test_paths(void);
static void rtk_test_queries(void);
static void rtk_test_lengths(void);
static void rtk_test_patterns(void);
static void rtk_test_matching(void);


static void
rtk_url_ok(const char *s, unsigned https, unsigned type, const char *host,
    unsigned port, const char *path, const char *query)
{
    int          rc;
    rtk_url_t    url;
    rtk_error_t  err;

    memset(&err, 0, sizeof(rtk_error_t));

    rc = rtk_url_parse(&url, (const unsigned char *) s, strlen(s), &err);

    RTK_CHECK(rc == RTK_OK, "\"%s\": %s", s, err.message);

    if (rc != RTK_OK) {
        return;
    }

    RTK_CHECK(url.https == https, "\"%s\": https %u", s, url.https);
    RTK_CHECK(url.host_type == type, "\"%s\": host_type %u", s,
              url.host_type);
    RTK_CHECK(url.host_len == strlen(host)
              && memcmp(url.host, host, url.host_len) == 0
              && url.host[url.host_len] == '\0',
              "\"%s\": host \"%s\"", s, url.host);
    RTK_CHECK(url.port == port, "\"%s\": port %u", s, url.port);
    RTK_CHECK(url.path_len == strlen(path)
              && memcmp(url.path, path, url.path_len) == 0,
              "\"%s\": path \"%.*s\"", s, (int) url.path_len, url.path);

    if (query == NULL) {
        RTK_CHECK(url.query == NULL && url.query_len == 0,
                  "\"%s\": unexpected query", s);

    } else {
        RTK_CHECK(url.query != NULL && url.query_len == strlen(query)
                  && memcmp(url.query, query, url.query_len) == 0,
                  "\"%s\": query \"%.*s\"", s, (int) url.query_len,
                  url.query ? (const char *) url.query : "(null)");
    }
}


static void
rtk_url_bad_n(const char *s, size_t len, const char *message)
{
    int          rc;
    rtk_url_t    url;
    rtk_error_t  err;

    memset(&err, 0, sizeof(rtk_error_t));

    rc = rtk_url_parse(&url, (const unsigned char *) s, len, &err);

    RTK_CHECK(rc == RTK_ERROR, "\"%.*s\" accepted, host \"%s\"",
              (int) len, s, url.host);
    RTK_CHECK(err.code == RTK_E_URL_INVALID && err.status == 400,
              "\"%.*s\": code %d status %d", (int) len, s, err.code,
              err.status);
    RTK_CHECK(strcmp(err.message, message) == 0,
              "\"%.*s\": message \"%s\", expected \"%s\"", (int) len, s,
              err.message, message);
}


static void
rtk_url_bad(const char *s, const char *message)
{
    rtk_url_bad_n(s, strlen(s), message);
}


static void
rtk_pat_ok(const char *s, unsigned https, unsigned wildcard, unsigned type,
    const char *host, unsigned port, const char *path)
{
    int                rc;
    char               errbuf[128];
    rtk_url_pattern_t  pat;

    errbuf[0] = '\0';

    rc = rtk_url_pattern_parse(&pat, (const unsigned char *) s, strlen(s),
                               errbuf, sizeof(errbuf));

    RTK_CHECK(rc == RTK_OK, "\"%s\": %s", s, errbuf);

    if (rc != RTK_OK) {
        return;
    }

    RTK_CHECK(pat.https == https, "\"%s\": https %u", s, pat.https);
    RTK_CHECK(pat.wildcard == wildcard, "\"%s\": wildcard %u", s,
              pat.wildcard);
    RTK_CHECK(pat.host_type == type, "\"%s\": host_type %u", s,
              pat.host_type);
    RTK_CHECK(pat.host_len == strlen(host) && strcmp(pat.host, host) == 0,
              "\"%s\": host \"%s\"", s, pat.host);
    RTK_CHECK(pat.port == port, "\"%s\": port %u", s, pat.port);
    RTK_CHECK(pat.path_len == strlen(path) && strcmp(pat.path, path) == 0,
              "\"%s\": path \"%s\"", s, pat.path);
}


static void
rtk_pat_bad(const char *s, const char *message)
{
    int                rc;
    char               errbuf[128];
    rtk_url_pattern_t  pat;

    errbuf[0] = '\0';

    rc = rtk_url_pattern_parse(&pat, (const unsigned char *) s, strlen(s),
                               errbuf, sizeof(errbuf));

    RTK_CHECK(rc == RTK_ERROR, "\"%s\" accepted, host \"%s\"", s, pat.host);
    RTK_CHECK(strcmp(errbuf, message) == 0,
              "\"%s\": message \"%s\", expected \"%s\"", s, errbuf, message);
}


static void
rtk_match(const char *pattern, const char *s, int expect)
{
    int                rc;
    char               errbuf[128];
    rtk_url_t          url;
    rtk_error_t        err;
    rtk_url_pattern_t  pat;

    rc = rtk_url_pattern_parse(&pat, (const unsigned char *) pattern,
                               strlen(pattern), errbuf, sizeof(errbuf));
    RTK_CHECK(rc == RTK_OK, "pattern \"%s\": %s", pattern, errbuf);

    if (rc != RTK_OK) {
        return;
    }

    rc = rtk_url_parse(&url, (const unsigned char *) s, strlen(s), &err);
    RTK_CHECK(rc == RTK_OK, "url \"%s\": %s", s, err.message);

    if (rc != RTK_OK) {
        return;
    }

    rc = rtk_url_match(&pat, &url);
    RTK_CHECK(rc == expect, "\"%s\" ~ \"%s\": %d, expected %d", pattern, s,
              rc, expect);
}


static void
rtk_test_schemes(void)
{
    rtk_url_ok("https://example.com", 1, RTK_NAME, "example.com", 443, "/",
               NULL);
    rtk_url_ok("http://example.com/", 0, RTK_NAME, "example.com", 80, "/",
               NULL);
    rtk_url_ok("HTTPS://EXAMPLE.COM/Path", 1, RTK_NAME, "example.com", 443,
               "/Path", NULL);
    rtk_url_ok("HtTp://Example.Com:8080/A/b?X=1", 0, RTK_NAME, "example.com",
               8080, "/A/b", "X=1");

    rtk_url_bad("javascript:alert(1)", "url: scheme must be http or https");
    rtk_url_bad("JavaScript://example.com/%0aalert(1)",
                "url: scheme must be http or https");
    rtk_url_bad("data:text/html,hello", "url: scheme must be http or https");
    rtk_url_bad("ftp://example.com/", "url: scheme must be http or https");
    rtk_url_bad("file:///etc/passwd", "url: scheme must be http or https");
    rtk_url_bad("ws://example.com/", "url: scheme must be http or https");
    rtk_url_bad("httpx://example.com/", "url: scheme must be http or https");
    rtk_url_bad("httpss://example.com/", "url: scheme must be http or https");
    rtk_url_bad("htt://example.com/", "url: scheme must be http or https");
    rtk_url_bad("//evil.com", "url: scheme must be http or https");
    rtk_url_bad("//evil.com/x", "url: scheme must be http or https");
    rtk_url_bad("/hooks", "url: scheme must be http or https");
    rtk_url_bad("evil.com", "url: scheme must be http or https");
    rtk_url_bad("https", "url: scheme must be http or https");
    rtk_url_bad("http", "url: scheme must be http or https");
    rtk_url_bad(":https://evil.com", "url: scheme must be http or https");
    rtk_url_bad("https:", "url: expected \"//\" after the scheme");
    rtk_url_bad("https:/", "url: expected \"//\" after the scheme");
    rtk_url_bad("https:/evil.com", "url: expected \"//\" after the scheme");
    rtk_url_bad("https:evil.com", "url: expected \"//\" after the scheme");
    rtk_url_bad("http:evil.com", "url: expected \"//\" after the scheme");
    rtk_url_bad("https:///evil.com", "url: empty host");
    rtk_url_bad("https:////evil.com", "url: empty host");
    rtk_url_bad("", "url: empty");
    rtk_url_bad_n(NULL, 0, "url: empty");
}


static void
rtk_test_userinfo(void)
{
    rtk_url_bad("https://user@good.com/", "url: userinfo is not allowed");
    rtk_url_bad("https://user:pass@good.com/",
                "url: userinfo is not allowed");
    rtk_url_bad("https://@good.com/", "url: userinfo is not allowed");
    rtk_url_bad("https://good.com@evil.com/", "url: userinfo is not allowed");
    rtk_url_bad("https://good.com:443@evil.com/",
                "url: userinfo is not allowed");
    rtk_url_bad("https://good.com#@evil.com", "url: userinfo is not allowed");
    rtk_url_bad("https://good.com?@evil.com", "url: userinfo is not allowed");
    rtk_url_bad("https://good.com#x@evil.com/",
                "url: userinfo is not allowed");
    rtk_url_bad("https://[::1]@evil.com/", "url: userinfo is not allowed");
    rtk_url_bad("https://a@b@evil.com/", "url: userinfo is not allowed");

    /* after the first '/', every parser agrees on the host */
    rtk_url_ok("https://good.com/@evil.com", 1, RTK_NAME, "good.com", 443,
               "/@evil.com", NULL);
    rtk_url_ok("https://good.com/?u=a@evil.com", 1, RTK_NAME, "good.com", 443,
               "/", "u=a@evil.com");

    rtk_url_bad("https://evil.com\\@good.com",
                "url: backslash is not allowed");
    rtk_url_bad("https://good.com\\evil.com",
                "url: backslash is not allowed");
    rtk_url_bad("https:\\\\evil.com", "url: backslash is not allowed");
    rtk_url_bad("https:/\\evil.com", "url: backslash is not allowed");
    rtk_url_bad("https://good.com/\\/evil.com",
                "url: backslash is not allowed");
    rtk_url_bad("https://good.com/x?a=\\", "url: backslash is not allowed");
}


static void
rtk_test_bytes(void)
{
    /* whitespace, tabs, CR, LF, NUL and DEL anywhere */
    rtk_url_bad(" https://a.com/", "url: whitespace or control character");
    rtk_url_bad("https://a.com/ ", "url: whitespace or control character");
    rtk_url_bad("https ://a.com/", "url: whitespace or control character");
    rtk_url_bad("https:// a.com/", "url: whitespace or control character");
    rtk_url_bad("https://a .com/", "url: whitespace or control character");
    rtk_url_bad("https://a.com/a b", "url: whitespace or control character");
    rtk_url_bad("https://a.com/?a=b c",
                "url: whitespace or control character");
    rtk_url_bad("https://a.com/\t", "url: whitespace or control character");
    rtk_url_bad("https://a.\tcom/", "url: whitespace or control character");
    rtk_url_bad("ht\ttps://a.com/", "url: whitespace or control character");
    rtk_url_bad("https://a.com/\r\nHost: evil.com",
                "url: whitespace or control character");
    rtk_url_bad("https://a.com\r/", "url: whitespace or control character");
    rtk_url_bad("https://a.com\n/", "url: whitespace or control character");
    rtk_url_bad("https://a.com/\x0b", "url: whitespace or control character");
    rtk_url_bad("https://a.com/\x0c", "url: whitespace or control character");
    rtk_url_bad("https://a.com/\x1f", "url: whitespace or control character");
    rtk_url_bad("https://a.com/\x7f", "url: whitespace or control character");
    rtk_url_bad_n("https://a.com\0.evil.com/", 24,
                  "url: whitespace or control character");
    rtk_url_bad_n("https://a.com/\0", 15,
                  "url: whitespace or control character");

    /* IDN lookalikes: Cyrillic "о" (U+043E) twice */
    rtk_url_bad("https://g\xd0\xbe\xd0\xbegle.com/",
                "url: non-ASCII character");
    rtk_url_ok("https://xn--ggle-55da.com/", 1, RTK_NAME, "xn--ggle-55da.com",
               443, "/", NULL);
    rtk_url_ok("https://XN--GGLE-55DA.COM/", 1, RTK_NAME, "xn--ggle-55da.com",
               443, "/", NULL);

    /* full-width "ｅ", ideographic full stop, full-width solidus */
    rtk_url_bad("https://\xef\xbd\x85xample.com/",
                "url: non-ASCII character");
    rtk_url_bad("https://example\xe3\x80\x82" "com/",
                "url: non-ASCII character");
    rtk_url_bad("https://example\xef\xbc\x8e" "com/",
                "url: non-ASCII character");
    rtk_url_bad("https://good.com\xef\xbc\x8f@evil.com/",
                "url: non-ASCII character");
    rtk_url_bad("https://good.com\xef\xbc\xa0" "evil.com/",
                "url: non-ASCII character");
    rtk_url_bad("https://\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97.0.0.1/",
                "url: non-ASCII character");
    rtk_url_bad("https://a.com/caf\xc3\xa9", "url: non-ASCII character");
    rtk_url_bad("https://a.com/caf\xe9", "url: non-ASCII character");
    rtk_url_bad("https://a.com/?q=\xff", "url: non-ASCII character");
    rtk_url_bad("https://a.com\xc2\xa0/", "url: non-ASCII character");
    rtk_url_bad("https://a.com\xe2\x80\x8b/", "url: non-ASCII character");
}


static void
rtk_test_hosts(void)
{
    char  buf[512], host[300];

    rtk_url_ok("https://a.com", 1, RTK_NAME, "a.com", 443, "/", NULL);
    rtk_url_ok("https://localhost/", 1, RTK_NAME, "localhost", 443, "/",
               NULL);
    rtk_url_ok("https://a-b.c-d.com/", 1, RTK_NAME, "a-b.c-d.com", 443, "/",
               NULL);
    rtk_url_ok("https://0x.com/", 1, RTK_NAME, "0x.com", 443, "/", NULL);
    rtk_url_ok("https://123.com/", 1, RTK_NAME, "123.com", 443, "/", NULL);
    rtk_url_ok("https://1.2.3.com/", 1, RTK_NAME, "1.2.3.com", 443, "/",
               NULL);
    rtk_url_ok("https://0x7f.0.0.example/", 1, RTK_NAME, "0x7f.0.0.example",
               443, "/", NULL);
    rtk_url_ok("https://a.b.c.d.e.f.g/", 1, RTK_NAME, "a.b.c.d.e.f.g", 443,
               "/", NULL);

    rtk_url_bad("https://", "url: empty host");
    rtk_url_bad("https://:443", "url: empty host");
    rtk_url_bad("https://:443/x", "url: empty host");
    rtk_url_bad("https://?x", "url: empty host");
    rtk_url_bad("https://#x", "url: empty host");

    rtk_url_bad("https://good.com%2e%2e/",
                "url: percent-encoding in the host is not allowed");
    rtk_url_bad("https://%65vil.com/",
                "url: percent-encoding in the host is not allowed");
    rtk_url_bad("https://good.com%2f@evil.com/",
                "url: userinfo is not allowed");
    rtk_url_bad("https://good.com%2fevil.com/",
                "url: percent-encoding in the host is not allowed");
    rtk_url_bad("https://good.com%00/",
                "url: percent-encoding in the host is not allowed");

    rtk_url_bad("https://example.com./", "url: trailing dot in the host");
    rtk_url_bad("https://example.com.", "url: trailing dot in the host");
    rtk_url_bad("https://example.com..", "url: trailing dot in the host");
    rtk_url_bad("https://example.com.:443/", "url: trailing dot in the host");
    rtk_url_bad("https://./", "url: trailing dot in the host");
    rtk_url_bad("https://.example.com/", "url: empty label in the host");
    rtk_url_bad("https://a..com/", "url: empty label in the host");
    rtk_url_bad("https://-a.com/", "url: host label starts or ends with '-'");
    rtk_url_bad("https://a-.com/", "url: host label starts or ends with '-'");
    rtk_url_bad("https://a.-com/", "url: host label starts or ends with '-'");
    rtk_url_bad("https://a.com-/", "url: host label starts or ends with '-'");
    rtk_url_bad("https://-/", "url: host label starts or ends with '-'");

    rtk_url_bad("https://a_b.com/", "url: invalid character in the host");
    rtk_url_bad("https://*.a.com/", "url: invalid character in the host");
    rtk_url_bad("https://a!b.com/", "url: invalid character in the host");
    rtk_url_bad("https://a,b.com/", "url: invalid character in the host");
    rtk_url_bad("https://a;b.com/", "url: invalid character in the host");
    rtk_url_bad("https://a=b.com/", "url: invalid character in the host");
    rtk_url_bad("https://a~b.com/", "url: invalid character in the host");
    rtk_url_bad("https://a\"b.com/", "url: invalid character in the host");
    rtk_url_bad("https://a<b.com/", "url: invalid character in the host");
    rtk_url_bad("https://a]b.com/", "url: invalid character in the host");
    rtk_url_bad("https://a[b.com/", "url: invalid character in the host");
    rtk_url_bad("https://a.com]/", "url: invalid character in the host");

    /* a 63-byte label is fine, 64 is not */
    memset(host, 0, sizeof(host));
    memset(host, 'a', 63);
    memcpy(host + 63, ".com", 4);
    (void) snprintf(buf, sizeof(buf), "https://%s/", host);
    rtk_url_ok(buf, 1, RTK_NAME, host, 443, "/", NULL);

    (void) snprintf(buf, sizeof(buf), "https://b%s/", host);
    rtk_url_bad(buf, "url: host label is too long");

    /* a 253-byte host is fine, 254 is not */
    memset(host, 0, sizeof(host));
    memset(host, 'a', 253);
    host[63] = '.';
    host[127] = '.';
    host[191] = '.';
    (void) snprintf(buf, sizeof(buf), "https://%s:8443/x", host);
    rtk_url_ok(buf, 1, RTK_NAME, host, 8443, "/x", NULL);

    (void) snprintf(buf, sizeof(buf), "https://%sb/x", host);
    rtk_url_bad(buf, "url: host is too long");

    (void) snprintf(buf, sizeof(buf), "https://%s./x", host);
    rtk_url_bad(buf, "url: host is too long");
}


static void
rtk_test_ipv4(void)
{
    rtk_url_ok("https://1.2.3.4/", 1, RTK_IPV4, "1.2.3.4", 443, "/", NULL);
    rtk_url_ok("https://127.0.0.1:8443/x", 1, RTK_IPV4, "127.0.0.1", 8443,
               "/x", NULL);
    rtk_url_ok("http://0.0.0.0", 0, RTK_IPV4, "0.0.0.0", 80, "/", NULL);
    rtk_url_ok("https://255.255.255.255/", 1, RTK_IPV4, "255.255.255.255",
               443, "/", NULL);
    rtk_url_ok("https://10.0.10.100/", 1, RTK_IPV4, "10.0.10.100", 443, "/",
               NULL);

    /* fewer parts */
    rtk_url_bad("https://127.1/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://127.0.1/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://1.2.3/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://0/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://1/", "url: ambiguous IPv4 address form");

    /* one integer */
    rtk_url_bad("https://2130706433/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://4294967295/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://4294967296/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://99999999999999999999999/",
                "url: ambiguous IPv4 address form");
    rtk_url_bad("https://017700000001/", "url: ambiguous IPv4 address form");

    /* octal */
    rtk_url_bad("https://0177.0.0.1/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://0177.1/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://127.0.0.01/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://127.000.000.001/",
                "url: ambiguous IPv4 address form");
    rtk_url_bad("https://00.0.0.0/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://010.0.0.1/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://08.0.0.1/", "url: ambiguous IPv4 address form");

    /* hex */
    rtk_url_bad("https://0x7f.0.0.1/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://0x7f000001/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://0X7F000001/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://0x7F.1/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://127.0.0.0x1/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://0x/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://0xg/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://0x0x0x/", "url: ambiguous IPv4 address form");

    /* mixtures */
    rtk_url_bad("https://0x7f.0.1/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://0177.0x0.1/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://0x7f.0177.0.01/",
                "url: ambiguous IPv4 address form");
    rtk_url_bad("https://1.0x7f/", "url: ambiguous IPv4 address form");

    /* out of range, too many parts, numeric last label */
    rtk_url_bad("https://256.0.0.1/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://1.2.3.256/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://1.2.3.1000/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://1.2.3.4.5/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://example.123/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://example.0x1/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://evil.com.127.0.0.1/",
                "url: ambiguous IPv4 address form");

    /* trailing dots and empty parts */
    rtk_url_bad("https://127.0.0.1./", "url: trailing dot in the host");
    rtk_url_bad("https://0x7f.0.0.1./", "url: trailing dot in the host");
    rtk_url_bad("https://127..0.1/", "url: empty label in the host");
    rtk_url_bad("https://.127.0.0.1/", "url: empty label in the host");
    rtk_url_bad("https://1.2.3.-4/",
                "url: host label starts or ends with '-'");
}


static void
rtk_test_ipv6(void)
{
    rtk_url_ok("https://[::1]/", 1, RTK_IPV6, "::1", 443, "/", NULL);
    rtk_url_ok("https://[::]", 1, RTK_IPV6, "::", 443, "/", NULL);
    rtk_url_ok("https://[0:0:0:0:0:0:0:0]/", 1, RTK_IPV6, "::", 443, "/",
               NULL);
    rtk_url_ok("https://[0:0:0:0:0:0:0:1]/", 1, RTK_IPV6, "::1", 443, "/",
               NULL);
    rtk_url_ok("https://[2001:DB8::1]:8443/x?y", 1, RTK_IPV6, "2001:db8::1",
               8443, "/x", "y");
    rtk_url_ok("https://[2001:0db8:0000:0000:0000:0000:0000:0001]/", 1,
               RTK_IPV6, "2001:db8::1", 443, "/", NULL);
    rtk_url_ok("https://[2001:db8:0:0:1:0:0:1]/", 1, RTK_IPV6,
               "2001:db8::1:0:0:1", 443, "/", NULL);
    rtk_url_ok("https://[2001:db8::0:1:0:0:1]/", 1, RTK_IPV6,
               "2001:db8::1:0:0:1", 443, "/", NULL);
    rtk_url_ok("https://[2001:db8:0:1:1:1:1:1]/", 1, RTK_IPV6,
               "2001:db8:0:1:1:1:1:1", 443, "/", NULL);
    rtk_url_ok("https://[2001:db8:1:1:1:1:0:0]/", 1, RTK_IPV6,
               "2001:db8:1:1:1:1::", 443, "/", NULL);
    rtk_url_ok("https://[1:2:3:4:5:6::7]/", 1, RTK_IPV6, "1:2:3:4:5:6:0:7",
               443, "/", NULL);
    rtk_url_ok("https://[fe80::1:0:0:0:0]/", 1, RTK_IPV6, "fe80:0:0:1::",
               443, "/", NULL);
    rtk_url_ok("https://[1::]/", 1, RTK_IPV6, "1::", 443, "/", NULL);
    rtk_url_ok("https://[FFFF:ABCD:EF01:2345:6789:abcd:ef01:2345]", 1,
               RTK_IPV6, "ffff:abcd:ef01:2345:6789:abcd:ef01:2345", 443, "/",
               NULL);
    rtk_url_ok("http://[::1]:443", 0, RTK_IPV6, "::1", 443, "/", NULL);

    /* IPv4 behind an IPv6 spelling */
    rtk_url_bad("https://[::ffff:1.2.3.4]/",
                "url: IPv6 address embeds an IPv4 address");
    rtk_url_bad("https://[::ffff:127.0.0.1]/",
                "url: IPv6 address embeds an IPv4 address");
    rtk_url_bad("https://[::ffff:7f00:1]/",
                "url: IPv6 address embeds an IPv4 address");
    rtk_url_bad("https://[0:0:0:0:0:FFFF:7f00:1]/",
                "url: IPv6 address embeds an IPv4 address");
    rtk_url_bad("https://[::1.2.3.4]/",
                "url: IPv6 address embeds an IPv4 address");
    rtk_url_bad("https://[::7f00:1]/",
                "url: IPv6 address embeds an IPv4 address");
    rtk_url_bad("https://[::2]/",
                "url: IPv6 address embeds an IPv4 address");
    rtk_url_bad("https://[::ffff:0:7f00:1]/",
                "url: IPv6 address embeds an IPv4 address");
    rtk_url_bad("https://[64:ff9b::7f00:1]/",
                "url: IPv6 address embeds an IPv4 address");
    rtk_url_bad("https://[1.2.3.4]/",
                "url: IPv6 address embeds an IPv4 address");

    /* zone ids */
    rtk_url_bad("https://[fe80::1%25eth0]/",
                "url: IPv6 zone identifiers are not allowed");
    rtk_url_bad("https://[fe80::1%eth0]/",
                "url: IPv6 zone identifiers are not allowed");

    /* malformed */
    rtk_url_bad("https://[]/", "url: invalid IPv6 address");
    rtk_url_bad("https://[:]/", "url: invalid IPv6 address");
    rtk_url_bad("https://[:::]/", "url: invalid IPv6 address");
    rtk_url_bad("https://[::1/", "url: invalid IPv6 address");
    rtk_url_bad("https://[::1", "url: invalid IPv6 address");
    rtk_url_bad("https://[1::2::3]/", "url: invalid IPv6 address");
    rtk_url_bad("https://[1:2:3:4:5:6:7:8:9]/", "url: invalid IPv6 address");
    rtk_url_bad("https://[1:2:3:4:5:6:7]/", "url: invalid IPv6 address");
    rtk_url_bad("https://[1:2:3:4:5:6:7::8]/", "url: invalid IPv6 address");
    rtk_url_bad("https://[1:2:3:4::5:6:7:8]/", "url: invalid IPv6 address");
    rtk_url_bad("https://[12345::]/", "url: invalid IPv6 address");
    rtk_url_bad("https://[:1::]/", "url: invalid IPv6 address");
    rtk_url_bad("https://[1:]/", "url: invalid IPv6 address");
    rtk_url_bad("https://[::1:]/", "url: invalid IPv6 address");
    rtk_url_bad("https://[g::1]/", "url: invalid IPv6 address");
    rtk_url_bad("https://[v1.x]/", "url: invalid IPv6 address");
    rtk_url_bad("https://[[::1]]/", "url: invalid IPv6 address");
    rtk_url_bad("https://[::1]x/",
                "url: invalid character after the IPv6 address");
    rtk_url_bad("https://[::1]]/",
                "url: invalid character after the IPv6 address");
    rtk_url_bad("https://[::1][::2]/",
                "url: invalid character after the IPv6 address");
    rtk_url_bad("https://::1/", "url: empty host");
    rtk_url_bad("https://2001:db8::1/", "url: ambiguous IPv4 address form");
    rtk_url_bad("https://[::1]:/", "url: empty port");
    rtk_url_ok("https://[::1]:443/", 1, RTK_IPV6, "::1", 443, "/", NULL);
}


static void
rtk_test_ports(void)
{
    rtk_url_ok("https://a.com:443/x", 1, RTK_NAME, "a.com", 443, "/x", NULL);
    rtk_url_ok("http://a.com:80", 0, RTK_NAME, "a.com", 80, "/", NULL);
    rtk_url_ok("https://a.com:80/", 1, RTK_NAME, "a.com", 80, "/", NULL);
    rtk_url_ok("http://a.com:443/", 0, RTK_NAME, "a.com", 443, "/", NULL);
    rtk_url_ok("https://a.com:1/", 1, RTK_NAME, "a.com", 1, "/", NULL);
    rtk_url_ok("https://a.com:65535/", 1, RTK_NAME, "a.com", 65535, "/",
               NULL);
    rtk_url_ok("https://a.com:8443?x", 1, RTK_NAME, "a.com", 8443, "/", "x");

    rtk_url_bad("https://a.com:/", "url: empty port");
    rtk_url_bad("https://a.com:", "url: empty port");
    rtk_url_bad("https://a.com:?x", "url: empty port");
    rtk_url_bad("https://a.com:+443/", "url: invalid port");
    rtk_url_bad("https://a.com:-1/", "url: invalid port");
    rtk_url_bad("https://a.com:0/", "url: invalid port");
    rtk_url_bad("https://a.com:00/", "url: invalid port");
    rtk_url_bad("https://a.com:0443/", "url: leading zero in the port");
    rtk_url_bad("https://a.com:08080/", "url: leading zero in the port");
    rtk_url_bad("https://a.com:65536/", "url: invalid port");
    rtk_url_bad("https://a.com:99999/", "url: invalid port");
    rtk_url_bad("https://a.com:100000/", "url: invalid port");
    rtk_url_bad("https://a.com:4294967739/", "url: invalid port");
    rtk_url_bad("https://a.com:443:443/", "url: invalid port");
    rtk_url_bad("https://a.com:8o/", "url: invalid port");
    rtk_url_bad("https://a.com:0x1bb/", "url: invalid port");
    rtk_url_bad("https://a.com:https/", "url: invalid port");
}


static void
rtk_test_paths(void)
{
    rtk_url_ok("https://a.com/", 1, RTK_NAME, "a.com", 443, "/", NULL);
    rtk_url_ok("https://a.com/Hooks/Case", 1, RTK_NAME, "a.com", 443,
               "/Hooks/Case", NULL);
    rtk_url_ok("https://a.com/a/b/", 1, RTK_NAME, "a.com", 443, "/a/b/",
               NULL);
    rtk_url_ok("https://a.com/p:x@y;z=1,2!$&'()*+~_-.", 1, RTK_NAME, "a.com",
               443, "/p:x@y;z=1,2!$&'()*+~_-.", NULL);
    rtk_url_ok("https://a.com/.../x", 1, RTK_NAME, "a.com", 443, "/.../x",
               NULL);
    rtk_url_ok("https://a.com/.x/x./..x/x../", 1, RTK_NAME, "a.com", 443,
               "/.x/x./..x/x../", NULL);
    rtk_url_ok("https://a.com/a;..", 1, RTK_NAME, "a.com", 443, "/a;..",
               NULL);

    rtk_url_bad("https://a.com/%2e%2e/",
                "url: percent-encoding in the path is not allowed");
    rtk_url_bad("https://a.com/hooks/%2e%2e/admin",
                "url: percent-encoding in the path is not allowed");
    rtk_url_bad("https://a.com/x%2fy",
                "url: percent-encoding in the path is not allowed");
    rtk_url_bad("https://a.com/%41",
                "url: percent-encoding in the path is not allowed");
    rtk_url_bad("https://a.com/%",
                "url: percent-encoding in the path is not allowed");

    rtk_url_bad("https://a.com/./x", "url: dot segment in the path");
    rtk_url_bad("https://a.com/../x", "url: dot segment in the path");
    rtk_url_bad("https://a.com/x/../y", "url: dot segment in the path");
    rtk_url_bad("https://a.com/x/./y", "url: dot segment in the path");
    rtk_url_bad("https://a.com/x/..", "url: dot segment in the path");
    rtk_url_bad("https://a.com/x/.", "url: dot segment in the path");
    rtk_url_bad("https://a.com/.", "url: dot segment in the path");
    rtk_url_bad("https://a.com/..", "url: dot segment in the path");
    rtk_url_bad("https://a.com/..?x", "url: dot segment in the path");
    rtk_url_bad("https://a.com/x/..;/y", "url: dot segment in the path");
    rtk_url_bad("https://a.com/x/.;a=b/y", "url: dot segment in the path");

    rtk_url_bad("https://a.com//", "url: empty segment in the path");
    rtk_url_bad("https://a.com//evil.com", "url: empty segment in the path");
    rtk_url_bad("https://a.com/x//y", "url: empty segment in the path");
    rtk_url_bad("https://a.com/x//", "url: empty segment in the path");

    rtk_url_bad("https://a.com/a<b", "url: invalid character in the path");
    rtk_url_bad("https://a.com/a>b", "url: invalid character in the path");
    rtk_url_bad("https://a.com/a\"b", "url: invalid character in the path");
    rtk_url_bad("https://a.com/a{b", "url: invalid character in the path");
    rtk_url_bad("https://a.com/a}b", "url: invalid character in the path");
    rtk_url_bad("https://a.com/a|b", "url: invalid character in the path");
    rtk_url_bad("https://a.com/a^b", "url: invalid character in the path");
    rtk_url_bad("https://a.com/a`b", "url: invalid character in the path");
    rtk_url_bad("https://a.com/a[b", "url: invalid character in the path");
    rtk_url_bad("https://a.com/a]b", "url: invalid character in the path");
}


static void
rtk_test_queries(void)
{
    rtk_url_ok("https://a.com?x=1", 1, RTK_NAME, "a.com", 443, "/", "x=1");
    rtk_url_ok("https://a.com/?", 1, RTK_NAME, "a.com", 443, "/", "");
    rtk_url_ok("https://a.com?", 1, RTK_NAME, "a.com", 443, "/", "");
    rtk_url_ok("https://a.com/h?a=/b?c:d@e", 1, RTK_NAME, "a.com", 443, "/h",
               "a=/b?c:d@e");
    rtk_url_ok("https://a.com/h?a=%2F%2e%Aa&b=%00", 1, RTK_NAME, "a.com", 443,
               "/h", "a=%2F%2e%Aa&b=%00");
    rtk_url_ok("https://a.com/h?/../x//y", 1, RTK_NAME, "a.com", 443, "/h",
               "/../x//y");

    rtk_url_bad("https://a.com/?a=%zz",
                "url: invalid percent-encoding in the query");
    rtk_url_bad("https://a.com/?a=%2",
                "url: invalid percent-encoding in the query");
    rtk_url_bad("https://a.com/?a=%",
                "url: invalid percent-encoding in the query");
    rtk_url_bad("https://a.com/?a=%2g",
                "url: invalid percent-encoding in the query");
    rtk_url_bad("https://a.com/?a=<", "url: invalid character in the query");
    rtk_url_bad("https://a.com/?a=\"", "url: invalid character in the query");
    rtk_url_bad("https://a.com/?a[]=1",
                "url: invalid character in the query");
    rtk_url_bad("https://a.com/?a={}", "url: invalid character in the query");
    rtk_url_bad("https://a.com/?a|b", "url: invalid character in the query");

    rtk_url_bad("https://a.com/#x", "url: fragment is not allowed");
    rtk_url_bad("https://a.com/#", "url: fragment is not allowed");
    rtk_url_bad("https://a.com#x", "url: fragment is not allowed");
    rtk_url_bad("https://a.com/?a=1#x", "url: fragment is not allowed");
    rtk_url_bad("https://a.com:8443#", "url: fragment is not allowed");
}


static void
rtk_test_lengths(void)
{
    char  buf[RTK_URL_MAX + 2];

    /* exactly RTK_URL_MAX bytes */
    memset(buf, 'a', sizeof(buf));
    memcpy(buf, "https://a.com/", 14);
    buf[RTK_URL_MAX] = '\0';
    rtk_url_ok(buf, 1, RTK_NAME, "a.com", 443, buf + 13, NULL);

    buf[RTK_URL_MAX] = 'a';
    buf[RTK_URL_MAX + 1] = '\0';
    rtk_url_bad(buf, "url: url is too long");

    /* the canonical form, with its added '/', would not fit */
    memset(buf, 'a', sizeof(buf));
    memcpy(buf, "https://a.com?", 14);
    buf[RTK_URL_MAX] = '\0';
    rtk_url_bad(buf, "url: url is too long");

    buf[RTK_URL_MAX - 1] = '\0';
    rtk_url_ok(buf, 1, RTK_NAME, "a.com", 443, "/", buf + 14);

    /* the dropped default port makes room */
    memset(buf, 'a', sizeof(buf));
    memcpy(buf, "https://a.com:443?", 18);
    buf[RTK_URL_MAX] = '\0';
    rtk_url_ok(buf, 1, RTK_NAME, "a.com", 443, "/", buf + 18);
}


static void
rtk_test_patterns(void)
{
    char               errbuf[16];
    rtk_url_pattern_t  pat;

    rtk_pat_ok("https://example.com", 1, 0, RTK_NAME, "example.com", 443,
               "/");
    rtk_pat_ok("HTTPS://Example.COM/Hooks/", 1, 0, RTK_NAME, "example.com",
               443, "/Hooks/");
    rtk_pat_ok("https://example.com/", 1, 0, RTK_NAME, "example.com", 443,
               "/");
    rtk_pat_ok("http://example.com:8080/hooks", 0, 0, RTK_NAME,
               "example.com", 8080, "/hooks");
    rtk_pat_ok("https://a.com:443", 1, 0, RTK_NAME, "a.com", 443, "/");
    rtk_pat_ok("http://a.com:80/a/b/", 0, 0, RTK_NAME, "a.com", 80, "/a/b/");
    rtk_pat_ok("http://a.com:80/a/b", 0, 0, RTK_NAME, "a.com", 80, "/a/b");
    rtk_pat_ok("https://*.example.com", 1, 1, RTK_NAME, "example.com", 443,
               "/");
    rtk_pat_ok("https://*.Example.com:8443/in/", 1, 1, RTK_NAME,
               "example.com", 8443, "/in/");
    rtk_pat_ok("https://*.co.uk", 1, 1, RTK_NAME, "co.uk", 443, "/");
    rtk_pat_ok("https://1.2.3.4/x", 1, 0, RTK_IPV4, "1.2.3.4", 443, "/x");
    rtk_pat_ok("https://[2001:DB8:0::1]", 1, 0, RTK_IPV6, "2001:db8::1", 443,
               "/");

    rtk_pat_bad("example.com", "scheme must be http or https");
    rtk_pat_bad("*.example.com",
                "scheme must be http or https");
    rtk_pat_bad("//example.com", "scheme must be http or https");
    rtk_pat_bad("ftp://example.com",
                "scheme must be http or https");
    rtk_pat_bad("https:example.com",
                "expected \"//\" after the scheme");
    rtk_pat_bad("", "empty");
    rtk_pat_bad("https://", "empty host");

    rtk_pat_bad("https://*.com",
                "wildcard suffix needs at least two labels");
    rtk_pat_bad("https://*.com/x",
                "wildcard suffix needs at least two labels");
    rtk_pat_bad("https://*.localhost",
                "wildcard suffix needs at least two labels");
    rtk_pat_bad("https://*", "invalid character in the host");
    rtk_pat_bad("https://*.", "empty host");
    rtk_pat_bad("https://*.*.example.com",
                "invalid character in the host");
    rtk_pat_bad("https://a.*.example.com",
                "invalid character in the host");
    rtk_pat_bad("https://*example.com",
                "invalid character in the host");
    rtk_pat_bad("https://**.example.com",
                "invalid character in the host");
    rtk_pat_bad("https://example.*",
                "invalid character in the host");
    rtk_pat_bad("https://*.example.com.",
                "trailing dot in the host");
    rtk_pat_bad("https://*.1.2.3.4",
                "wildcard on an IP address");
    rtk_pat_bad("https://*.2.3.4", "ambiguous IPv4 address form");
    rtk_pat_bad("https://*.[::1]",
                "invalid character in the host");

    rtk_pat_bad("https://127.1", "ambiguous IPv4 address form");
    rtk_pat_bad("https://0x7f000001",
                "ambiguous IPv4 address form");
    rtk_pat_bad("https://[::ffff:1.2.3.4]",
                "IPv6 address embeds an IPv4 address");
    rtk_pat_bad("https://a.com/x?y", "query is not allowed");
    rtk_pat_bad("https://a.com?", "query is not allowed");
    rtk_pat_bad("https://a.com/x#y", "fragment is not allowed");
    rtk_pat_bad("https://u@a.com", "userinfo is not allowed");
    rtk_pat_bad("https://a.com#@b.com",
                "userinfo is not allowed");
    rtk_pat_bad("https://a.com/x//",
                "empty segment in the path");
    rtk_pat_bad("https://a.com/x/..", "dot segment in the path");
    rtk_pat_bad("https://a.com/%2e",
                "percent-encoding in the path is not allowed");
    rtk_pat_bad("https://a.com:0443", "leading zero in the port");
    rtk_pat_bad("https://a.com:", "empty port");
    rtk_pat_bad("https://a.com/\t", "whitespace or control "
                "character");
    rtk_pat_bad("https://a\xd0\xbe.com", "non-ASCII character");

    /* a short error buffer is truncated and terminated */
    memset(errbuf, 'x', sizeof(errbuf));
    RTK_CHECK(rtk_url_pattern_parse(&pat, (const unsigned char *) "x", 1,
                                    errbuf, 8) == RTK_ERROR, "x accepted");
    RTK_CHECK(strcmp(errbuf, "scheme ") == 0, "errbuf \"%s\"", errbuf);
    RTK_CHECK(rtk_url_pattern_parse(&pat, (const unsigned char *) "x", 1,
                                    NULL, 0) == RTK_ERROR, "x accepted");
}


static void
rtk_test_matching(void)
{
    /* default ports are dropped, other ports must be equal */
    rtk_match("https://a.com/x", "https://a.com:443/x", 1);
    rtk_match("https://a.com:443/x", "https://a.com/x", 1);
    rtk_match("http://a.com", "http://a.com:80/", 1);
    rtk_match("https://a.com", "https://a.com:8443/", 0);
    rtk_match("https://a.com:8443", "https://a.com:8443/x", 1);
    rtk_match("https://a.com:8443", "https://a.com/x", 0);
    rtk_match("https://a.com:8443", "https://a.com:8444/x", 0);
    rtk_match("http://a.com", "http://a.com:443/", 0);
    rtk_match("https://a.com", "https://a.com:80/", 0);

    /* scheme */
    rtk_match("https://a.com", "http://a.com/", 0);
    rtk_match("http://a.com", "https://a.com/", 0);
    rtk_match("http://a.com:443", "https://a.com/", 0);
    rtk_match("HTTPS://a.com", "https://a.com/", 1);

    /* exact hosts, case folded */
    rtk_match("https://a.com", "https://A.COM/Path", 1);
    rtk_match("https://A.com", "https://a.COM/", 1);
    rtk_match("https://a.com", "https://b.a.com/", 0);
    rtk_match("https://a.com", "https://evila.com/", 0);
    rtk_match("https://a.com", "https://a.com.evil.com/", 0);
    rtk_match("https://a.com", "https://a.co/", 0);
    rtk_match("https://www.a.com", "https://a.com/", 0);

    /* wildcards on label boundaries */
    rtk_match("https://*.example.com", "https://a.example.com/", 1);
    rtk_match("https://*.example.com", "https://a.b.example.com/x", 1);
    rtk_match("https://*.example.com", "https://A.EXAMPLE.COM/", 1);
    rtk_match("https://*.example.com", "https://example.com/", 0);
    rtk_match("https://*.example.com", "https://evilexample.com/", 0);
    rtk_match("https://*.example.com", "https://xexample.com/", 0);
    rtk_match("https://*.example.com", "https://example.com.evil.com/", 0);
    rtk_match("https://*.example.com", "https://a.example.com.evil/", 0);
    rtk_match("https://*.example.com", "https://a.example.co/", 0);
    rtk_match("https://*.example.com", "https://a.xample.com/", 0);
    rtk_match("https://*.example.com", "http://a.example.com/", 0);
    rtk_match("https://*.example.com", "https://a.example.com:8443/", 0);

    /* path prefixes on segment boundaries */
    rtk_match("https://a.com/hooks", "https://a.com/hooks", 1);
    rtk_match("https://a.com/hooks", "https://a.com/hooks/", 1);
    rtk_match("https://a.com/hooks", "https://a.com/hooks/x", 1);
    rtk_match("https://a.com/hooks", "https://a.com/hooks?x=1", 1);
    rtk_match("https://a.com/hooks", "https://a.com/hooks/x?y=/z", 1);
    rtk_match("https://a.com/hooks", "https://a.com/hooksevil", 0);
    rtk_match("https://a.com/hooks", "https://a.com/hooks;x", 0);
    rtk_match("https://a.com/hooks", "https://a.com/hooks.json", 0);
    rtk_match("https://a.com/hooks", "https://a.com/hook", 0);
    rtk_match("https://a.com/hooks", "https://a.com/", 0);
    rtk_match("https://a.com/hooks", "https://a.com", 0);
    rtk_match("https://a.com/hooks", "https://a.com?/hooks", 0);
    rtk_match("https://a.com/hooks", "https://a.com/Hooks", 0);
    rtk_match("https://a.com/hooks", "https://a.com/x/hooks", 0);

    /* a trailing slash: that path and below, not the path without it */
    rtk_match("https://a.com/hooks/", "https://a.com/hooks", 0);
    rtk_match("https://a.com/hooks/", "https://a.com/hooks?x=/", 0);
    rtk_match("https://a.com/hooks/", "https://a.com/hooks/", 1);
    rtk_match("https://a.com/hooks/", "https://a.com/hooks/?x", 1);
    rtk_match("https://a.com/hooks/", "https://a.com/hooks/x", 1);
    rtk_match("https://a.com/hooks/", "https://a.com/hooks/x/y", 1);
    rtk_match("https://a.com/hooks/", "https://a.com/hooksevil", 0);
    rtk_match("https://a.com/hooks/", "https://a.com/hooks.x/", 0);
    rtk_match("https://a.com/hooks/", "https://a.com/", 0);
    rtk_match("https://a.com/hooks/", "https://a.com", 0);
    rtk_match("https://a.com/a/b/", "https://a.com/a/b/c", 1);
    rtk_match("https://a.com/a/b/", "https://a.com/a/b", 0);
    rtk_match("https://a.com/a/b/", "https://a.com/a/", 0);
    rtk_match("https://*.a.com/in/", "https://x.a.com/in/y", 1);
    rtk_match("https://*.a.com/in/", "https://x.a.com/in", 0);
    rtk_match("https://1.2.3.4/x/", "https://1.2.3.4/x/y", 1);
    rtk_match("https://1.2.3.4/x/", "https://1.2.3.4/x", 0);

    rtk_match("https://a.com/a/b", "https://a.com/a/b/c", 1);
    rtk_match("https://a.com/a/b", "https://a.com/a/bc", 0);
    rtk_match("https://a.com/a/b", "https://a.com/a", 0);
    rtk_match("https://a.com/", "https://a.com/x/y?z", 1);
    rtk_match("https://a.com/", "https://a.com/", 1);
    rtk_match("https://a.com/", "https://a.com", 1);
    rtk_match("https://a.com", "https://a.com", 1);
    rtk_match("https://a.com", "https://a.com?q", 1);

    /* IP hosts only when named exactly */
    rtk_match("https://*.example.com", "https://1.2.3.4/", 0);
    rtk_match("https://example.com", "https://1.2.3.4/", 0);
    rtk_match("https://example.com", "https://[::1]/", 0);
    rtk_match("https://1.2.3.4", "https://1.2.3.4/", 1);
    rtk_match("https://1.2.3.4/x", "https://1.2.3.4/x/y", 1);
    rtk_match("https://1.2.3.4/x", "https://1.2.3.4/y", 0);
    rtk_match("https://1.2.3.4", "https://1.2.3.5/", 0);
    rtk_match("https://1.2.3.4", "https://1.2.3.4:8443/", 0);
    rtk_match("https://1.2.3.4", "https://[2001:db8::1]/", 0);
    rtk_match("https://[::1]", "https://[0:0::1]/", 1);
    rtk_match("https://[2001:db8::1]", "https://[2001:DB8:0:0:0:0:0:1]/x", 1);
    rtk_match("https://[2001:db8::1]", "https://[2001:db8::2]/", 0);
    rtk_match("https://[2001:db8::1]", "https://1.2.3.4/", 0);
}


int
main(void)
{
    /* rtk_test.h defines it for tests that allocate; this one does not */
    (void) rtk_test_alloc;

    rtk_test_schemes();
    rtk_test_userinfo();
    rtk_test_bytes();
    rtk_test_hosts();
    rtk_test_ipv4();
    rtk_test_ipv6();
    rtk_test_ports();
    rtk_test_paths();
    rtk_test_queries();
    rtk_test_lengths();
    rtk_test_patterns();
    rtk_test_matching();

    return rtk_test_report("url");
}
