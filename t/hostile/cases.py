#
# Copyright (C) ngx_rtk_module authors
#
# Hostile and edge-case requests for t/10_hostile.py, one entry each.
#
# A case is a dict:
#   name     unique, becomes the test name
#   raw      the exact request bytes (Host, Connection: close included)
#   port     'main' (default), 'notoken' (no default token), 'small'
#            (large_client_header_buffers 2 1k)
#   status   expected status;  code: envelope code (int or tuple) or None
#            for a relayed upstream answer
#   up       None: nothing may reach the upstream; else the EXACT
#            canonical body bytes the upstream must receive
#   line     the upstream request line (default: the rebuilt PATCH line)
#   allow    expected Allow header (405)
#   auth     check: one Authorization (the bearer token), no client
#            credentials upstream
#   absent   header names that must not reach the upstream
#   audit    expected decision of the audit record ('would_deny', ...)
#   expect100  send the head, wait for 100 Continue, then the body
#   method   the method to read the response for (HEAD has no body)
#   bug      a short note when the case is known to fail (kept strict)
#

import json

from rtk_harness import (ACCOUNT, ACCOUNT2, ACCOUNT3, APP, APP2, APP_HEX,
                         EVENTS, WEBHOOK, wh_path)


ALICE = 'alice@example.com'
CAROL = 'carol@example.com'
DAVE = 'dave@example.com'
MALLORY = 'mallory@example.com'

APP_NONE = 'cccccccc-dddd-4eee-8fff-000000000000'
PATH = wh_path()
BARE = wh_path(prefix=False)
HEX_PATH = wh_path(app=APP_HEX)
LINE = 'PATCH %s HTTP/1.1' % PATH

CASES = []

ITEM_ALLOW = 'GET, PUT, PATCH, DELETE'
COLLECTION = PATH[:PATH.rindex('/')]
APP_OPS = 'abcdef01-2345-4678-9abc-def012345678'  # the operations' rule
OPS_PATH = wh_path(app=APP_OPS)
OPS_COLLECTION = OPS_PATH[:OPS_PATH.rindex('/')]
OWNED = 'feedf00d-0000-4000-8000-000000000001'  # has a rule of its own
CREATE_BODY = (b'{"url":"https://hooks.example.com/rtk/new","name":"new",'
               b'"events":["meeting.ended","meeting.started"]}')
CANONICAL_CREATE = ('{"enabled":true,"events":["meeting.started",'
                    '"meeting.ended"],"name":"new",'
                    '"url":"https://hooks.example.com/rtk/new"}')


def raw_req(method='PATCH', target=PATH, body=b'', headers=None,
            ct='application/json', caller=ALICE, version='HTTP/1.1',
            host='localhost', length=True, close=True):
    """Request bytes; headers is a list of (name, value) or raw lines."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body, separators=(',', ':')).encode()
    if isinstance(body, str):
        body = body.encode('utf-8')
    h = []
    if host is not None:
        h.append(b'Host: ' + host.encode())
    if caller is not None:
        h.append(b'X-Caller: ' + caller.encode('utf-8'))
    if ct is not None:
        h.append(b'Content-Type: ' + ct.encode())
    for x in headers or []:
        if isinstance(x, tuple):
            x = ('%s: %s' % x).encode('utf-8')
        h.append(x)
    if length is True:
        h.append(b'Content-Length: %d' % len(body))
    elif length is not None and length is not False:
        h.append(b'Content-Length: ' + str(length).encode())
    if close:
        h.append(b'Connection: close')
    if isinstance(target, str):
        target = target.encode('utf-8')
    start = method.encode() + b' ' + target
    if version:
        start += b' ' + version.encode()
    return start + b'\r\n' + b''.join(x + b'\r\n' for x in h) + b'\r\n' + body


def add(name, raw, status, code, up=None, **kw):
    assert name not in [c['name'] for c in CASES], name
    c = {'name': name, 'raw': raw, 'status': status, 'code': code,
         'up': up, 'port': 'main'}
    c.update(kw)
    CASES.append(c)


def ok(name, body, want, **kw):
    """Accepted: the upstream gets exactly want."""
    rkw = {k: kw.pop(k) for k in list(kw) if k in (
        'target', 'headers', 'ct', 'caller', 'method', 'version', 'host')}
    if isinstance(want, str):
        want = want.encode('utf-8')
    add(name, raw_req(body=body, **rkw), 200, None, up=want, **kw)


def bad(name, body, status, code, **kw):
    """Refused: nothing reaches the upstream."""
    rkw = {k: kw.pop(k) for k in list(kw) if k in (
        'target', 'headers', 'ct', 'caller', 'method', 'version', 'host',
        'length')}
    add(name, raw_req(body=body, **rkw), status, code, **kw)


def jbad(name, body, code):
    bad('json_' + name, body, 400, code)


def jok(name, body, want):
    ok('json_' + name, body, want)


def url_body(url):
    return json.dumps({'url': url}, ensure_ascii=False).encode('utf-8')


def uok(name, url, want=None):
    want = want or url
    ok('url_' + name, url_body(url),
       ('{"url":"%s"}' % want).encode('utf-8'))


def ubad(name, url, status=400, code=40007):
    bad('url_' + name, url_body(url), status, code)


def uraw(name, body, status, code, want=None):
    """A url case whose JSON is spelled by hand."""
    if want is not None:
        ok('url_' + name, body, want)
    else:
        bad('url_' + name, body, status, code)


# ------------------------------------------------------------------
# JSON differentials

jbad('dup_enabled_tf', b'{"enabled":true,"enabled":false}', 40002)
jbad('dup_enabled_ft', b'{"enabled":false,"enabled":true}', 40002)
jbad('dup_url_evil_first',
     b'{"url":"https://evil.example.org/","url":'
     b'"https://hooks.example.com/rtk/"}', 40002)
jbad('dup_url_evil_last',
     b'{"url":"https://hooks.example.com/rtk/","url":'
     b'"https://evil.example.org/"}', 40002)
jbad('dup_key_escaped', b'{"enabled":false,"\\u0065nabled":true}', 40002)
jbad('dup_key_escaped_slash',
     b'{"url":"https://hooks.example.com/rtk/",'
     b'"\\u0075\\u0072\\u006c":"https://evil.example.org/"}', 40002)
jbad('dup_events', b'{"events":["meeting.started"],'
     b'"events":["meeting.summary"]}', 40002)
jbad('dup_name_far_apart', b'{"name":"a","enabled":true,"events":'
     b'["meeting.ended"],"name":"b"}', 40002)
jbad('nul_in_name', b'{"name":"a\\u0000b"}', 40005)
jbad('nul_only_name', b'{"name":"\\u0000"}', 40005)
jbad('nul_in_key', b'{"enabled\\u0000":true}', 40003)
jbad('nul_in_event', b'{"events":["meeting.started\\u0000"]}', 40005)
jbad('nul_in_url', b'{"url":"https://hooks.example.com/rtk/\\u0000"}',
     40007)
jbad('raw_nul_in_name', b'{"name":"a\x00b"}', 40001)
jok('escaped_key', b'{"\\u0065nabled":true}', '{"enabled":true}')
jok('escaped_event', b'{"events":["meeting\\u002estarted",'
    b'"\\u006deeting.ended"]}',
    '{"events":["meeting.started","meeting.ended"]}')
jok('escaped_url_slashes',
    b'{"url":"https:\\/\\/hooks.example.com\\/rtk\\/x"}',
    '{"url":"https://hooks.example.com/rtk/x"}')
jok('escaped_url_host',
    b'{"url":"https://\\u0068ooks.example.com/rtk/y"}',
    '{"url":"https://hooks.example.com/rtk/y"}')
jok('escaped_upper_hex', b'{"name":"\\u004E\\u004f"}', '{"name":"NO"}')
jok('escaped_name_quotes', b'{"name":"a\\"b\\\\c\\/d"}',
    '{"name":"a\\"b\\\\c/d"}')
jbad('escaped_control_in_name', b'{"name":"a\\u0001b"}', 40005)
jbad('escaped_tab_in_name', b'{"name":"a\\tb"}', 40005)
jbad('escaped_newline_in_name', b'{"name":"a\\nb"}', 40005)
jok('script_tag_name', b'{"name":"</script><b>"}',
    '{"name":"</script><b>"}')
jok('u2028_name', b'{"name":"a\\u2028b"}', '{"name":"a\u2028b"}')
jok('bom_escaped_in_name', b'{"name":"\\ufeffx"}',
    '{"name":"\ufeffx"}')
jok('raw_utf8_name', '{"name":"caf\u00e9 \u65e5\u672c"}'.encode('utf-8'),
    '{"name":"caf\u00e9 \u65e5\u672c"}')
jok('surrogate_pair', b'{"name":"\\ud83d\\ude00"}',
    '{"name":"\U0001f600"}')
jok('raw_4byte_utf8', '{"name":"\U0001f600"}'.encode('utf-8'),
    '{"name":"\U0001f600"}')
jok('whitespace_everywhere', b' \t\r\n{ \t"enabled"\r\n:\ttrue\n}\r\n ',
    '{"enabled":true}')
jok('all_fields_reordered',
    b'{"url":"https://a.example.net/h","name":"n","events":'
    b'["meeting.summary","meeting.started"],"enabled":false}',
    '{"enabled":false,"events":["meeting.started","meeting.summary"],'
    '"name":"n","url":"https://a.example.net/h"}')
jok('all_events_reversed', json.dumps({'events': EVENTS[::-1]}),
    json.dumps({'events': EVENTS}, separators=(',', ':')))
jok('name_256', json.dumps({'name': 'n' * 256}),
    '{"name":"%s"}' % ('n' * 256))
jok('enabled_false', b'{"enabled":false}', '{"enabled":false}')
jbad('name_257', json.dumps({'name': 'n' * 257}).encode(), 40005)
jbad('bom', b'\xef\xbb\xbf{"enabled":true}', 40001)
jbad('bom_utf16le', b'\xff\xfe{\x00}\x00', 40001)
jbad('utf16_body', '{"enabled":true}'.encode('utf-16-le'), 40001)
jbad('invalid_utf8_ff', b'{"name":"a\xffb"}', 40001)
jbad('invalid_utf8_cont', b'{"name":"\x80"}', 40001)
jbad('overlong_slash', b'{"name":"\xc0\xaf"}', 40001)
jbad('overlong_nul', b'{"name":"a\xc0\x80b"}', 40001)
jbad('overlong_3byte', b'{"name":"\xe0\x80\xaf"}', 40001)
jbad('overlong_4byte', b'{"name":"\xf0\x80\x80\xaf"}', 40001)
jbad('beyond_10ffff', b'{"name":"\xf4\x90\x80\x80"}', 40001)
jbad('utf8_surrogate', b'{"name":"\xed\xa0\x80"}', 40001)
jbad('truncated_utf8', b'{"name":"\xe6\x97"}', 40001)
jbad('invalid_utf8_in_key', b'{"na\xffme":"x"}', 40001)
jbad('overlong_quote_in_url',
     b'{"url":"https://hooks.example.com/rtk/\xc0\xa2"}', 40001)
jbad('lone_high_surrogate', b'{"name":"a\\ud800b"}', (40001, 40005))
jbad('lone_low_surrogate', b'{"name":"\\udc00"}', (40001, 40005))
jbad('reversed_surrogates', b'{"name":"\\ude00\\ud83d"}', (40001, 40005))
jbad('high_then_ascii_escape', b'{"name":"\\ud83d\\u0041"}',
     (40001, 40005))
jbad('surrogate_at_end', b'{"name":"x\\ud83d"}', (40001, 40005))
jbad('nan', b'{"enabled":NaN}', 40001)
jbad('infinity', b'{"enabled":Infinity}', 40001)
jbad('neg_infinity', b'{"name":-Infinity}', 40001)
jbad('huge_number', b'{"enabled":1e999999}', (40001, 40004))
jbad('huge_integer', b'{"name":' + b'9' * 400 + b'}', (40001, 40004))
jbad('number_enabled_1', b'{"enabled":1}', 40004)
jbad('number_enabled_0', b'{"enabled":0}', 40004)
jbad('number_enabled_neg0', b'{"enabled":-0}', 40004)
jbad('string_true', b'{"enabled":"true"}', 40004)
jbad('string_false', b'{"enabled":"false"}', 40004)
jbad('upper_true', b'{"enabled":TRUE}', 40001)
jbad('null_enabled', b'{"enabled":null}', 40004)
jbad('null_name', b'{"name":null}', 40004)
jbad('null_url', b'{"url":null}', 40004)
jbad('null_events', b'{"events":null}', 40004)
jbad('null_in_events', b'{"events":[null]}', 40004)
jbad('deep_nesting_array',
     b'{"name":' + b'[' * 20000 + b']' * 20000 + b'}', (40001, 40004))
jbad('deep_nesting_object',
     b'{"name":' + b'{"a":' * 5000 + b'1' + b'}' * 5000 + b'}',
     (40001, 40004))
jbad('deep_nesting_unclosed', b'[' * 30000, (40001, 40004))
jbad('top_level_array', b'[{"enabled":true}]', (40001, 40004))
jbad('top_level_string', b'"enabled"', (40001, 40004))
jbad('top_level_null', b'null', (40001, 40004))
jbad('concat_objects', b'{"enabled":true}{"enabled":false}', 40001)
jbad('concat_space', b'{"enabled":false} {"enabled":true}', 40001)
jbad('concat_newline', b'{"enabled":false}\n{"enabled":true}\n', 40001)
jbad('trailing_garbage', b'{"enabled":true}x', 40001)
jbad('trailing_number', b'{"enabled":true}1', 40001)
jbad('trunc_value', b'{"enabled":tr', 40001)
jbad('trunc_string', b'{"name":"abc', 40001)
jbad('trunc_array', b'{"events":["meeting.started"', 40001)
jbad('trunc_after_comma', b'{"enabled":true,', 40001)
jbad('trunc_escape', b'{"name":"a\\u00', 40001)
jbad('open_brace_only', b'{', 40001)
jbad('whitespace_only', b'   \r\n\t ', (40001, 40006))
jbad('empty_body', b'', (40001, 40006))
jbad('comment_block', b'{/*x*/"enabled":true}', 40001)
jbad('comment_line', b'{"enabled":true // c\n}', 40001)
jbad('comment_hash', b'# c\n{"enabled":true}', 40001)
jbad('trailing_comma_obj', b'{"enabled":true,}', 40001)
jbad('trailing_comma_arr', b'{"events":["meeting.started",]}', 40001)
jbad('leading_comma', b'{,"enabled":true}', 40001)
jbad('single_quotes', b"{'enabled':true}", 40001)
jbad('single_quoted_value', b"{\"name\":'x'}", 40001)
jbad('unquoted_key', b'{enabled:true}', 40001)
jbad('bad_escape_x', b'{"name":"\\x41"}', 40001)
jbad('bad_escape_short_u', b'{"name":"\\u12"}', 40001)
jbad('bad_escape_upper_u', b'{"name":"\\U0041"}', 40001)
jbad('raw_tab_in_string', b'{"name":"a\tb"}', 40001)
jbad('raw_newline_in_string', b'{"name":"a\nb"}', 40001)
jbad('unknown_field', b'{"enabled":true,"secret":"x"}', 40003)
jbad('unknown_field_case', b'{"URL":"https://hooks.example.com/rtk/"}',
     40003)
jbad('unknown_field_space', b'{"url ":"https://hooks.example.com/rtk/"}',
     40003)
jbad('proto_key', b'{"__proto__":{"enabled":true}}', 40003)
jbad('events_string', b'{"events":"meeting.started"}', 40004)
jbad('events_object', b'{"events":{"meeting.started":true}}', 40004)
jbad('events_nested', b'{"events":[["meeting.started"]]}', 40004)
jbad('events_empty', b'{"events":[]}', 40005)
jbad('events_unknown', b'{"events":["meeting.hacked"]}', 40005)
jbad('events_case', b'{"events":["MEETING.STARTED"]}', 40005)
jbad('events_space', b'{"events":["meeting.started "]}', 40005)
jbad('events_dup_escaped',
     b'{"events":["meeting.started","meeting\\u002estarted"]}', 40005)
jbad('name_empty', b'{"name":""}', 40005)
jbad('enabled_array', b'{"enabled":[true]}', 40004)
jbad('url_number', b'{"url":443}', 40004)
jbad('enabled_float', b'{"enabled":1.0}', 40004)

# ------------------------------------------------------------------
# URL confusion (allowlist of APP: https://hooks.example.com/rtk/,
# https://*.example.net/, https://198.51.100.7/ip/,
# https://[2001:db8::1]/v6/)

uok('plain', 'https://hooks.example.com/rtk/x')
uok('prefix_exact', 'https://hooks.example.com/rtk/')
uok('query_kept', 'https://hooks.example.com/rtk/x?a=1&b=2')
uok('wildcard_one_label', 'https://a.example.net/')
uok('wildcard_two_labels', 'https://a.b.example.net/p')
uok('ipv4_dotted', 'https://198.51.100.7/ip/x')
uok('ipv6', 'https://[2001:db8::1]/v6/x')
ubad('userinfo', 'https://user@hooks.example.com/rtk/')
ubad('userinfo_password', 'https://u:p@hooks.example.com/rtk/')
ubad('userinfo_evil_host', 'https://hooks.example.com@evil.example.org/'
     'rtk/')
ubad('fragment_at', 'https://evil.example.org#@hooks.example.com/rtk/')
ubad('fragment_plain', 'https://hooks.example.com/rtk/#x')
ubad('backslash_host', 'https://evil.example.org\\@hooks.example.com/rtk/')
ubad('backslash_path', 'https://hooks.example.com/rtk\\..\\admin')
ubad('backslash_authority', 'https://hooks.example.com\\evil.example.org/'
     'rtk/')
ubad('pct_host', 'https://hooks.example.com%2fevil.example.org/rtk/')
ubad('pct_host_letter', 'https://%68ooks.example.com/rtk/')
ubad('pct_path_dot', 'https://hooks.example.com/rtk/%2e%2e/admin')
ubad('pct_path_slash', 'https://hooks.example.com/rtk%2f..%2fadmin')
ubad('pct_path_letter', 'https://hooks.example.com/rt%6b/')
ubad('dot_dot_segment', 'https://hooks.example.com/rtk/../admin')
ubad('dot_segment', 'https://hooks.example.com/rtk/./x')
ubad('empty_segment', 'https://hooks.example.com/rtk//x')
ubad('idn_cyrillic', 'https://hooks.ex\u0430mple.com/rtk/')
ubad('fullwidth_dot', 'https://hooks\uff0eexample\uff0ecom/rtk/')
ubad('fullwidth_letter', 'https://\uff48ooks.example.com/rtk/')
ubad('fullwidth_slash', 'https://hooks.example.com\uff0frtk/')
ubad('punycode_not_listed', 'https://xn--hoks-5qa.example.com/rtk/',
     403, 40305)
ubad('ipv4_not_listed', 'https://127.0.0.1/ip/', 403, 40305)
ubad('metadata_ip', 'https://169.254.169.254/ip/', 403, 40305)
ubad('localhost', 'https://localhost/rtk/', 403, 40305)
ubad('ipv4_decimal', 'https://3325256711/ip/')
ubad('ipv4_octal', 'https://0306.0063.0144.07/ip/')
ubad('ipv4_octal_one', 'https://198.51.100.07/ip/')
ubad('ipv4_hex', 'https://0xc6.0x33.0x64.0x7/ip/')
ubad('ipv4_hex_whole', 'https://0xc6336407/ip/')
ubad('ipv4_short_3', 'https://198.51.25607/ip/')
ubad('ipv4_short_2', 'https://198.3368199/ip/')
ubad('ipv4_trailing_dot', 'https://198.51.100.7./ip/')
ubad('ipv4_overflow', 'https://198.51.100.263/ip/')
ubad('ipv6_mapped', 'https://[::ffff:198.51.100.7]/ip/')
ubad('ipv6_mapped_hex', 'https://[::ffff:c633:6407]/ip/')
ubad('ipv6_compat', 'https://[::198.51.100.7]/ip/')
ubad('ipv6_zone', 'https://[2001:db8::1%25eth0]/v6/')
ubad('ipv6_unbracketed', 'https://2001:db8::1/v6/')
ubad('ipv6_bad', 'https://[2001:db8:::1]/v6/')
ubad('ipv6_loopback', 'https://[::1]/v6/', 403, 40305)
ubad('port_other', 'https://hooks.example.com:8443/rtk/', 403, 40305)
ubad('port_80_on_https', 'https://hooks.example.com:80/rtk/', 403, 40305)
ubad('port_empty', 'https://hooks.example.com:/rtk/')
ubad('port_too_big', 'https://hooks.example.com:65536/rtk/')
ubad('port_letters', 'https://hooks.example.com:44x/rtk/')
ubad('port_leading_zero', 'https://hooks.example.com:0443/rtk/')
ubad('trailing_dot_host', 'https://hooks.example.com./rtk/')
ubad('trailing_dot_wildcard', 'https://a.example.net./')
ubad('path_case', 'https://hooks.example.com/RTK/x', 403, 40305)
ubad('path_prefix_boundary', 'https://hooks.example.com/rtkx', 403, 40305)
# a pattern ending in "/" names only what is below it, as nginx's
# location /rtk/ does not match /rtk
ubad('path_prefix_no_slash', 'https://hooks.example.com/rtk', 403, 40305)
ubad('path_root', 'https://hooks.example.com/', 403, 40305)
ubad('no_path', 'https://hooks.example.com', 403, 40305)
ubad('scheme_relative', '//hooks.example.com/rtk/')
ubad('javascript', 'javascript:alert(1)//hooks.example.com/rtk/')
ubad('data', 'data:text/html,<script>alert(1)</script>')
ubad('ftp', 'ftp://hooks.example.com/rtk/')
ubad('file', 'file:///etc/passwd')
ubad('http_when_https', 'http://hooks.example.com/rtk/', 403, 40305)
ubad('https_one_slash', 'https:/hooks.example.com/rtk/')
ubad('https_three_slashes', 'https:///hooks.example.com/rtk/')
ubad('no_scheme', 'hooks.example.com/rtk/')
ubad('wildcard_bare_suffix', 'https://example.net/', 403, 40305)
ubad('wildcard_glued', 'https://evilexample.net/', 403, 40305)
ubad('wildcard_suffix_attack', 'https://a.example.net.evil.example.org/',
     403, 40305)
ubad('wildcard_hyphen_label', 'https://-a.example.net/')
ubad('wildcard_empty_label', 'https://a..example.net/')
ubad('host_suffix_attack', 'https://hooks.example.com.evil.example.org/'
     'rtk/', 403, 40305)
ubad('host_prefix_attack', 'https://xhooks.example.com/rtk/', 403, 40305)
ubad('space_in_url', 'https://hooks.example.com/rtk/a b')
ubad('tab_in_url', 'https://hooks.example.com/rtk/\tx')
ubad('newline_in_url', 'https://hooks.example.com/rtk/\r\nX: y')
ubad('leading_space', ' https://hooks.example.com/rtk/')
ubad('empty', '')
ubad('too_long', 'https://hooks.example.com/rtk/' + 'a' * 3000, 400,
     (40005, 40007))
uraw('upper_host', b'{"url":"https://HOOKS.EXAMPLE.COM/rtk/u"}', 0, 0,
     want=b'{"url":"https://HOOKS.EXAMPLE.COM/rtk/u"}')
uraw('default_port', b'{"url":"https://hooks.example.com:443/rtk/p"}',
     0, 0, want=b'{"url":"https://hooks.example.com:443/rtk/p"}')

# ------------------------------------------------------------------
# path and method

bad('path_pct_slash', b'{"enabled":true}', 400, 40010,
    target=PATH.replace('/webhooks/', '/webhooks%2f'))
bad('path_pct_dot', b'{"enabled":true}', 400, 40010,
    target=PATH.replace('/realtime/', '/%2e/realtime/'))
bad('path_pct_letter', b'{"enabled":true}', 400, 40010,
    target=PATH.replace('/kit/', '/ki%74/'))
bad('path_pct_upper_id', b'{"enabled":true}', 400, 40010,
    target=PATH[:-1] + '%65')
bad('path_dotdot', b'{"enabled":true}', 400, 40011,
    target='/client/v4/accounts/x/../accounts/%s/realtime/kit/%s/'
           'webhooks/%s' % (ACCOUNT, APP, WEBHOOK))
bad('path_dot', b'{"enabled":true}', 400, 40011,
    target=PATH.replace('/realtime/', '/./realtime/'))
bad('path_dotdot_end', b'{"enabled":true}', 400, 40011,
    target=PATH + '/..')
bad('path_double_slash', b'{"enabled":true}', 400, 40012,
    target=PATH.replace('/kit/', '/kit//'))
bad('path_leading_double_slash', b'{"enabled":true}', 400, 40012,
    target='/' + PATH)
bad('path_query', b'{"enabled":true}', 400, 40013, target=PATH + '?a=b')
bad('path_empty_query', b'{"enabled":true}', 400, 40013, target=PATH + '?')
bad('path_trailing_slash', b'{"enabled":true}', 400, 40014,
    target=PATH + '/')
bad('path_account_long', b'{"enabled":true}', 404, 40402,
    target=wh_path(account=ACCOUNT + 'a'))
bad('path_account_short', b'{"enabled":true}', 404, 40402,
    target=wh_path(account=ACCOUNT[:-1]))
bad('path_account_upper', b'{"enabled":true}', 404, 40402,
    target=wh_path(account=ACCOUNT.upper()))
bad('path_app_upper', b'{"enabled":true}', 404, 40403,
    target=wh_path(app=APP_HEX.upper()))
bad('path_app_no_dashes_uuid', b'{"enabled":true}', 404, 40403,
    target=wh_path(app=APP.replace('-', '')[:31]))
bad('path_webhook_upper', b'{"enabled":true}', 404, 40404,
    target=wh_path(webhook=WEBHOOK.upper()))
bad('path_webhook_long', b'{"enabled":true}', 404, 40404,
    target=wh_path(webhook=WEBHOOK + 'e'))
bad('path_webhook_semicolon', b'{"enabled":true}', 404, 40404,
    target=PATH + ';x=1')
bad('path_other_version', b'{"enabled":true}', 404, 40401,
    target=PATH.replace('/client/v4/', '/client/v5/'))
bad('path_prefix_case', b'{"enabled":true}', 404, 40401,
    target=PATH.replace('/client/', '/Client/'))
bad('path_backslash', b'{"enabled":true}', 404, (40401, 40404),
    target=PATH.replace('/webhooks/', '/webhooks\\'))
bad('path_fragment', b'{"enabled":true}', (400, 404),
    (40013, 40015, 40401, 40404), target=PATH + '#x')
bad('path_nul_raw', b'{"enabled":true}', 400, 40015,
    target=PATH.encode() + b'\x00')
bad('path_asterisk', b'{"enabled":true}', (400, 404), (40015, 40401),
    target='*')
ok('path_bare_form', b'{"enabled":true}', '{"enabled":true}',
   target=BARE)
ok('path_app_hex', b'{"enabled":true}', '{"enabled":true}',
   target=HEX_PATH, line='PATCH %s HTTP/1.1' % HEX_PATH)
bad('method_lowercase_patch', b'{"enabled":true}', 400, 40015,
    method='patch')
bad('method_mixed_case', b'{"enabled":true}', 400, 40015, method='Patch')
for _m in ('POST', 'OPTIONS', 'PROPFIND', 'CONNECTX'):
    bad('method_%s' % _m.lower(), b'{"enabled":true}', 405, 40501,
        method=_m, allow=ITEM_ALLOW)
for _m in ('PATCH', 'PUT', 'DELETE', 'OPTIONS'):
    bad('method_collection_%s' % _m.lower(), b'{"enabled":true}', 405,
        40501, method=_m, target=COLLECTION, allow='GET, POST')
# nginx refuses TRACE before the gateway knows the route
bad('method_trace', b'{"enabled":true}', 405, 40501, method='TRACE',
    allow='GET, POST, PUT, PATCH, DELETE')
bad('method_head', b'', 405, 40501, method='HEAD', allow=ITEM_ALLOW,
    read_method='HEAD')

# --------------------------------------------------------------------
# the other operations of the resource: list, create, get, replace,
# delete; what goes upstream is rebuilt the same way

ok('op_list', b'', b'', method='GET', target=COLLECTION, ct=None,
   line='GET %s HTTP/1.1' % COLLECTION, auth=True, absent=['content-type'])
ok('op_get', b'', b'', method='GET', ct=None, line='GET %s HTTP/1.1' % PATH,
   auth=True, absent=['content-type'])
ok('op_delete', b'', b'', method='DELETE', ct=None,
   line='DELETE %s HTTP/1.1' % PATH, auth=True)
ok('op_get_any_content_type', b'', b'', method='GET', ct='text/plain',
   line='GET %s HTTP/1.1' % PATH, absent=['content-type'])
ok('op_create', CREATE_BODY, CANONICAL_CREATE, method='POST',
   target=COLLECTION, line='POST %s HTTP/1.1' % COLLECTION, auth=True)
ok('op_create_enabled_false', CREATE_BODY[:-1] + b',"enabled":false}',
   CANONICAL_CREATE.replace('"enabled":true', '"enabled":false'),
   method='POST', target=COLLECTION, line='POST %s HTTP/1.1' % COLLECTION)
ok('op_replace', CREATE_BODY, CANONICAL_CREATE, method='PUT',
   line='PUT %s HTTP/1.1' % PATH, auth=True)
ok('op_edit_empty_object', b'{}', b'{}')
bad('op_create_without_enabled_not_enabler', CREATE_BODY, 403, 40303,
    method='POST', target=OPS_COLLECTION, caller=CAROL)
bad('op_replace_drops_a_field', b'{"name":"n","events":["meeting.started"]}',
    400, 40008, method='PUT')
bad('op_create_drops_events', b'{"name":"n","url":"https://hooks.example.'
    b'com/rtk/x"}', 400, 40008, method='POST', target=COLLECTION)
bad('op_delete_with_a_body', b'{"enabled":true}', 400, 40016,
    method='DELETE')
bad('op_get_with_a_body', b'x', 400, 40016, method='GET', ct=None)
bad('op_get_chunked_body', b'1\r\nx\r\n0\r\n\r\n', 400, 40016,
    method='GET', ct=None, length=False,
    headers=[('Transfer-Encoding', 'chunked')])
bad('op_get_with_a_query', b'', 400, 40013, method='GET', ct=None,
    target=PATH + '?x=1')
bad('op_list_with_a_query', b'', 400, 40013, method='GET', ct=None,
    target=COLLECTION + '?per_page=1000')
bad('op_list_all_is_no_webhook', b'', 404, 40404, method='GET', ct=None,
    target=COLLECTION + '/all')
bad('op_get_not_reader', b'', 403, 40309, method='GET', ct=None,
    caller=MALLORY, target=OPS_PATH)
bad('op_list_not_reader', b'', 403, 40309, method='GET', ct=None,
    caller=DAVE, target=OPS_COLLECTION)
bad('op_create_not_creator', CREATE_BODY, 403, 40310, method='POST',
    target=OPS_COLLECTION, caller=DAVE)
bad('op_delete_not_deleter', b'', 403, 40311, method='DELETE', ct=None,
    caller=CAROL, target=OPS_PATH)
ok('op_get_editor_reads', b'', b'', method='GET', ct=None, caller=CAROL,
   line='GET %s HTTP/1.1' % OPS_PATH, target=OPS_PATH)
# per-webhook rules decide alone, in both directions
bad('op_webhook_rule_denies', b'{"enabled":true}', 403, 40302,
    target=wh_path(webhook=OWNED))
ok('op_webhook_rule_allows', b'{"url":"https://hooks.example.com/owned"}',
   b'{"url":"https://hooks.example.com/owned"}', caller=CAROL,
   target=wh_path(app=APP_OPS, webhook=OWNED),
   line='PATCH %s HTTP/1.1' % wh_path(app=APP_OPS, webhook=OWNED))
bad('op_webhook_rule_not_for_others', b'{"url":"https://hooks.example.'
    b'com/owned"}', 403, 40305, caller=CAROL, target=OPS_PATH)
bad('method_get_bad_path', b'', 404, 40404, method='GET',
    target=wh_path(webhook='x'))
ok('absolute_form', b'{"enabled":true}', '{"enabled":true}',
   target='http://localhost' + PATH)
ok('absolute_form_other_host', b'{"name":"abs"}', '{"name":"abs"}',
   target='http://evil.example.org' + BARE)
bad('absolute_form_query', b'{"enabled":true}', 400, 40013,
    target='http://localhost' + PATH + '?x')
bad('absolute_form_pct', b'{"enabled":true}', 400, 40010,
    target='http://localhost' + PATH.replace('/kit/', '/ki%74/'))
ok('http10', b'{"enabled":true}', '{"enabled":true}', version='HTTP/1.0')
# HTTP/0.9: nginx answers with a bare body, no status line
bad('http09', b'', 400, 40015, version=None, length=None, http09=True)
bad('http_version_2', b'{"enabled":true}', 505, 50501, version='HTTP/2.0')
bad('http_version_garbage', b'{"enabled":true}', 400, 40015,
    version='HTTP/1.x')

# ------------------------------------------------------------------
# headers

# nginx itself refuses a repeated Authorization header
bad('hdr_dup_authorization', b'{"enabled":true}', 400, 40015,
    headers=[('Authorization', 'Bearer client-one'),
             ('Authorization', 'Bearer client-two')])
ok('hdr_client_credentials', b'{"name":"creds"}', '{"name":"creds"}',
   headers=[('X-Auth-Key', 'k'), ('X-Auth-Email', 'e@example.com'),
            ('X-Auth-User-Service-Key', 'v1.0-x'), ('Cookie', 'a=b'),
            ('Cookie', 'c=d'), ('Authorization', 'Basic dTpw')],
   auth=True, absent=['x-auth-key', 'x-auth-email',
                      'x-auth-user-service-key', 'cookie'])
ok('hdr_underscore_credentials', b'{"enabled":true}', '{"enabled":true}',
   headers=[('X_Auth_Key', 'k'), ('X-Auth_Email', 'e')], auth=True,
   absent=['x_auth_key', 'x-auth_email', 'x-auth-key', 'x-auth-email'])
ok('hdr_case_credentials', b'{"enabled":true}', '{"enabled":true}',
   headers=[('aUtHoRiZaTiOn', 'Bearer x'), ('x-auth-key', 'k'),
            ('COOKIE', 'z=1')], auth=True,
   absent=['x-auth-key', 'cookie'])
# a method override must not turn the decided edit into something else
ok('hdr_method_override', b'{"enabled":true}', '{"enabled":true}',
   headers=[('X-HTTP-Method-Override', 'DELETE'), ('X-HTTP-Method', 'GET'),
            ('X-Method-Override', 'PUT')], auth=True,
   absent=['x-http-method-override', 'x-http-method', 'x-method-override'])
ok('hdr_authorization_empty', b'{"enabled":true}', '{"enabled":true}',
   headers=[('Authorization', '')], auth=True)
ok('hdr_client_request_id', b'{"enabled":true}', '{"enabled":true}',
   headers=[('X-Request-Id', 'deadbeef' * 4)], auth=True, own_rid=True)
bad('hdr_cl_and_te', b'{"enabled":true}', 400, 40015,
    headers=[('Transfer-Encoding', 'chunked')])
bad('hdr_te_gzip', b'{"enabled":true}', 501, 50101,
    headers=[('Transfer-Encoding', 'gzip')], length=None)
bad('hdr_te_chunked_gzip', b'{"enabled":true}', 501, 50101,
    headers=[('Transfer-Encoding', 'chunked, gzip')], length=None)
add('hdr_te_bad_chunk',
    raw_req(body=b'zz\r\n{}\r\n0\r\n\r\n', length=None,
            headers=[('Transfer-Encoding', 'chunked')]),
    400, (40015, 40001))
add('hdr_te_chunked_ok',
    raw_req(body=b'5\r\n{"ena\r\nb;ext=1\r\nbled":true}\r\n0\r\n\r\n',
            length=None, headers=[('Transfer-Encoding', 'chunked')]),
    200, None, up=b'{"enabled":true}')
bad('hdr_two_content_lengths', b'{"enabled":true}', 400, 40015,
    headers=[('Content-Length', '3')])
bad('hdr_cl_negative', b'{"enabled":true}', 400, 40015, length='-16')
bad('hdr_cl_plus', b'{"enabled":true}', 400, 40015, length='+16')
bad('hdr_cl_hex', b'{"enabled":true}', 400, 40015, length='0x10')
bad('hdr_ct_missing', b'{"enabled":true}', 415, 41501, ct=None)
bad('hdr_ct_empty', b'{"enabled":true}', 415, 41501, ct='')
bad('hdr_ct_text', b'{"enabled":true}', 415, 41501, ct='text/plain')
bad('hdr_ct_json_suffix', b'{"enabled":true}', 415, 41501,
    ct='application/jsonp')
bad('hdr_ct_merge_patch', b'{"enabled":true}', 415, 41501,
    ct='application/merge-patch+json')
bad('hdr_ct_charset_latin1', b'{"enabled":true}', 415, 41501,
    ct='application/json; charset=iso-8859-1')
bad('hdr_ct_charset_utf16', b'{"enabled":true}', 415, 41501,
    ct='application/json; charset=utf-16')
bad('hdr_ct_extra_param', b'{"enabled":true}', 415, 41501,
    ct='application/json; charset=utf-8; boundary=x')
bad('hdr_ct_form', b'enabled=true', 415, 41501,
    ct='application/x-www-form-urlencoded')
bad('hdr_ct_dup_text_first', b'{"enabled":true}', 415, 41501,
    headers=[('Content-Type', 'text/plain')])
ok('hdr_ct_upper', b'{"enabled":true}', '{"enabled":true}',
   ct='APPLICATION/JSON; CHARSET=UTF-8', ct_once=True)
ok('hdr_ct_charset', b'{"enabled":true}', '{"enabled":true}',
   ct='application/json; charset=utf-8', ct_once=True)
add('hdr_expect_continue',
    raw_req(body=b'{"enabled":true}', headers=[('Expect', '100-continue')]),
    200, None, up=b'{"enabled":true}', expect100=True,
    absent=['expect'])
add('hdr_expect_continue_denied',
    raw_req(body=b'{"enabled":true}', caller=MALLORY,
            headers=[('Expect', '100-continue')]),
    403, 40302)
bad('hdr_header_too_large', b'{"enabled":true}', 400, 40015,
    headers=[('X-Big', 'b' * 3000)], port='small')
bad('hdr_many_large_headers', b'{"enabled":true}', 400, 40015,
    headers=[('X-Big%d' % i, 'b' * 900) for i in range(4)], port='small')
bad('hdr_uri_too_large', b'{"enabled":true}', 414, 41401,
    target=PATH + 'x' * 3000, port='small')
bad('hdr_no_host_http11', b'{"enabled":true}', 400, 40015, host=None)
bad('hdr_two_hosts', b'{"enabled":true}', 400, 40015,
    headers=[('Host', 'other')])
bad('hdr_host_bad_chars', b'{"enabled":true}', 400, 40015,
    host='local/host')
bad('hdr_nul_in_header', b'{"enabled":true}', 400, 40015,
    headers=[b'X-Thing: a\x00b'])
bad('hdr_space_before_colon', b'{"enabled":true}', 400, 40015,
    headers=[b'Content-Length : 5'])

# ------------------------------------------------------------------
# policy edges (APP_HEX: editors alice, carol, @ops=dave; enablers alice;
# disablers alice, carol; urls https://hooks.example.com/rtk/; events
# meeting.started, meeting.ended; fields carol: enabled, @ops: name,
# enabled.  APP2: report-only, editors alice)

bad('pol_unknown_caller', b'{"enabled":true}', 403, 40302, caller=MALLORY)
bad('pol_caller_case', b'{"enabled":true}', 403, 40302,
    caller=ALICE.upper())
bad('pol_caller_padded', b'{"enabled":true}', 403, 40302,
    caller=ALICE + '\t.')
bad('pol_missing_identity', b'{"enabled":true}', 401, 40101, caller=None)
bad('pol_empty_identity', b'{"enabled":true}', 401, 40101, caller='')
bad('pol_blank_identity', b'{"enabled":true}', 401, 40101, caller='   ')
bad('pol_non_enabler_enables', b'{"enabled":true}', 403, 40303,
    caller=DAVE, target=HEX_PATH)
bad('pol_non_disabler_disables', b'{"enabled":false}', 403, 40304,
    caller=DAVE, target=HEX_PATH)
ok('pol_disabler_disables', b'{"enabled":false}', '{"enabled":false}',
   caller=CAROL, target=HEX_PATH, line='PATCH %s HTTP/1.1' % HEX_PATH)
bad('pol_event_outside', b'{"events":["meeting.summary"]}', 403, 40306,
    target=HEX_PATH)
bad('pol_event_one_outside',
    b'{"events":["meeting.started","meeting.transcript"]}', 403, 40306,
    target=HEX_PATH)
ok('pol_events_inside', b'{"events":["meeting.ended","meeting.started"]}',
   '{"events":["meeting.started","meeting.ended"]}', target=HEX_PATH,
   line='PATCH %s HTTP/1.1' % HEX_PATH)
bad('pol_url_outside', b'{"url":"https://a.example.net/"}', 403, 40305,
    target=HEX_PATH)
bad('pol_field_restricted', b'{"name":"x"}', 403, 40307, caller=CAROL,
    target=HEX_PATH)
bad('pol_field_restricted_group', b'{"url":"https://hooks.example.com/'
    b'rtk/"}', 403, 40307, caller=DAVE, target=HEX_PATH)
ok('pol_field_group_allowed', b'{"name":"ops"}', '{"name":"ops"}',
   caller=DAVE, target=HEX_PATH, line='PATCH %s HTTP/1.1' % HEX_PATH)
bad('pol_no_rule_app', b'{"enabled":true}', 403, 40301,
    target=wh_path(app=APP_NONE))
bad('pol_no_token_account', b'{"enabled":true}', 403, 40308,
    port='notoken')
ok('pol_account_token', b'{"enabled":true}', '{"enabled":true}',
   target=wh_path(account=ACCOUNT2), port='notoken',
   line='PATCH %s HTTP/1.1' % wh_path(account=ACCOUNT2),
   auth='account')
ok('pol_other_account_default_token', b'{"enabled":true}',
   '{"enabled":true}', target=wh_path(account=ACCOUNT3),
   line='PATCH %s HTTP/1.1' % wh_path(account=ACCOUNT3), auth=True)
ok('pol_report_only', b'{"events":["meeting.summary"]}',
   '{"events":["meeting.summary"]}', caller=MALLORY,
   target=wh_path(app=APP2), line='PATCH %s HTTP/1.1' % wh_path(app=APP2),
   audit='would_deny')
bad('pol_report_only_bad_body', b'{"enabled":1}', 400, 40004,
    caller=MALLORY, target=wh_path(app=APP2))
bad('pol_report_only_no_identity', b'{"enabled":true}', 401, 40101,
    caller=None, target=wh_path(app=APP2))

# ------------------------------------------------------------------
# more framing and header probes

bad('hdr_ct_dup_json_first', b'{"enabled":true}', 415, 41501,
    headers=[('Content-Type', 'text/plain')], ct='application/json')
bad('hdr_obs_fold', b'{"enabled":true}', 400, 40015,
    headers=[b'X-Auth-Key: a', b' folded'])
add('hdr_te_upper_chunked',
    raw_req(body=b'10\r\n{"enabled":true}\r\n0\r\n\r\n', length=None,
            headers=[('Transfer-Encoding', 'Chunked')]),
    200, None, up=b'{"enabled":true}')
add('hdr_te_chunked_then_identity',
    raw_req(body=b'10\r\n{"enabled":true}\r\n0\r\n\r\n', length=None,
            headers=[('Transfer-Encoding', 'chunked'),
                     ('Transfer-Encoding', 'identity')]),
    400, 40015)
add('hdr_te_trailer_credentials',
    raw_req(body=b'10\r\n{"enabled":true}\r\n0\r\nX-Auth-Key: t\r\n'
            b'Authorization: Bearer trailer\r\n\r\n', length=None,
            headers=[('Transfer-Encoding', 'chunked')]),
    200, None, up=b'{"enabled":true}', absent=['x-auth-key'])
bad('hdr_cl_list', b'{"enabled":true}', 400, 40015, length='16, 16')
ok('hdr_ct_no_space', b'{"enabled":true}', '{"enabled":true}',
   ct='application/json;charset=utf-8', ct_once=True)
ok('hdr_ct_space_before_semicolon', b'{"enabled":true}', '{"enabled":true}',
   ct='application/json ; charset=utf-8', ct_once=True)
bad('hdr_ct_trailing_semicolon', b'{"enabled":true}', 415, 41501,
    ct='application/json;')
bad('hdr_ct_charset_utf8_no_dash', b'{"enabled":true}', 415, 41501,
    ct='application/json; charset=utf8')
add('hdr_lf_only_lines',
    raw_req(body=b'{"enabled":true}').replace(b'\r\n', b'\n'),
    200, None, up=b'{"enabled":true}')
bad('pol_caller_non_ascii', b'{"enabled":true}', 403, 40302,
    caller='al\u00efce@example.com')
bad('method_head_bad_path', b'', 404, 40401, method='HEAD',
    target='/nope', read_method='HEAD')
