/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The benchmark's njs gateway: what a user would write instead of the
 * module, with njs 0.7 as Debian 12 packages it.  It does the checks the
 * bench's PATCH goes through in the module (identity, route, method,
 * Content-Type, strict body schema, policy, canonical body, token) and
 * forwards through a subrequest to an internal location with proxy_pass,
 * the fastest way out of njs 0.7 (ngx.fetch keeps no upstream
 * connections alive).  It is a yardstick, not a product: no audit log,
 * and JSON.parse cannot see duplicate keys.
 *
 * njs 0.7 runs a module's top level once per request (each request gets
 * a fresh copy of the VM) and has no shared dictionary, so reading the
 * policy file per request would cost a third more CPU: the policy is
 * rtk_policy.js, made from the policy JSON by a build step (the bench
 * writes "export default " and the JSON), and the token is set where
 * bare proxy_pass sets it, in the internal location:
 *
 *   js_path /dir/of/rtk_policy.js;
 *   js_path /dir/of/gateway.js;
 *   js_import gateway from gateway.js;
 *   location / { js_content gateway.edit; }
 *   location /_cf/ {
 *       internal;
 *       proxy_pass http://cloudflare_api/;
 *       proxy_pass_request_headers off;
 *       proxy_set_header Authorization "Bearer ...";
 *       proxy_set_header Content-Type application/json;
 *       ...
 *   }
 */

import policy from 'rtk_policy.js';


const EVENTS = ['meeting.started', 'meeting.ended',
                'meeting.participantJoined', 'meeting.participantLeft',
                'recording.statusUpdate', 'livestreaming.statusUpdate',
                'meeting.chatSynced', 'meeting.transcript',
                'meeting.summary'];

const FIELDS = {enabled: 1, events: 1, name: 1, url: 1};

const NAME_MAX = 256;
const URL_MAX = 2048;

const ROUTE = new RegExp('^(?:/client/v4)?/accounts/([0-9a-f]{32})'
                         + '/realtime/kit/([0-9a-f]{8}-[0-9a-f]{4}-'
                         + '[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'
                         + '/webhooks/([0-9a-f]{8}-[0-9a-f]{4}-'
                         + '[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$');

/* https://host[:port][/path], no userinfo, query or fragment */
const URL_RE = new RegExp('^https://([a-z0-9.-]+)(?::([0-9]{1,5}))?'
                          + '(/[^?#\\s]*)?$');


function fail(r, status, code, message) {
    var e = {code: code, message: message};

    r.headersOut['Content-Type'] = 'application/json';
    r.return(status, JSON.stringify({success: false, errors: [e],
                                     messages: [], result: null, error: e}));
}


function parseUrl(s) {
    var m = URL_RE.exec(s.toLowerCase());

    if (m === null || m[1].length === 0 || m[1][0] === '.'
        || m[1].indexOf('..') !== -1)
    {
        return null;
    }

    return {host: m[1], port: m[2] ? Number(m[2]) : 443,
            path: m[3] || '/'};
}


/* a pattern's host may start with "*." for any subdomain */
function urlAllowed(patterns, u) {
    var i, p, h;

    for (i = 0; i < patterns.length; i++) {
        p = parseUrl(patterns[i].replace('://*.', '://wildcard.'));
        if (p === null || p.port !== u.port) {
            continue;
        }

        h = patterns[i].indexOf('://*.') !== -1
            ? u.host.endsWith(p.host.slice(8)) : u.host === p.host;

        if (h && (p.path === '/' || u.path === p.path
                  || u.path.startsWith(p.path.endsWith('/')
                                       ? p.path : p.path + '/')))
        {
            return true;
        }
    }

    return false;
}


function member(list, caller, groups) {
    var i, g;

    if (!list) {
        return false;
    }

    for (i = 0; i < list.length; i++) {
        if (list[i] === caller) {
            return true;
        }

        if (list[i][0] === '@') {
            g = groups[list[i].slice(1)];
            if (g && g.indexOf(caller) !== -1) {
                return true;
            }
        }
    }

    return false;
}


/* returns an error [status, code, message] or the checked body */
function checkBody(text) {
    var doc, k, i, ev, seen, name;

    try {
        doc = JSON.parse(text);
    } catch (e) {
        return [400, 40001, 'body is not valid JSON'];
    }

    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
        return [400, 40004, 'body must be a JSON object'];
    }

    for (k in doc) {
        if (!FIELDS[k]) {
            return [400, 40003, 'unknown field "' + k.slice(0, 40) + '"'];
        }
    }

    if ('name' in doc) {
        name = doc.name;
        if (typeof name !== 'string') {
            return [400, 40004, 'field "name": must be a string'];
        }
        if (name.length === 0 || Buffer.byteLength(name) > NAME_MAX) {
            return [400, 40005, 'field "name": empty or too long'];
        }
        if (/[\x00-\x1f\x7f]/.test(name)) {
            return [400, 40005, 'field "name": contains a control character'];
        }
    }

    if ('url' in doc) {
        if (typeof doc.url !== 'string') {
            return [400, 40004, 'field "url": must be a string'];
        }
        if (doc.url.length > URL_MAX) {
            return [400, 40005, 'field "url": too long'];
        }
        doc.parsedUrl = parseUrl(doc.url);
        if (doc.parsedUrl === null) {
            return [400, 40007, 'field "url": not an https URL with a host'];
        }
    }

    if ('events' in doc) {
        if (!Array.isArray(doc.events)) {
            return [400, 40004, 'field "events": must be an array'];
        }
        seen = {};
        for (i = 0; i < doc.events.length; i++) {
            ev = doc.events[i];
            if (typeof ev !== 'string' || EVENTS.indexOf(ev) === -1) {
                return [400, 40005, 'field "events": unknown event'];
            }
            if (seen[ev]) {
                return [400, 40005, 'field "events": duplicate event'];
            }
            seen[ev] = true;
        }
    }

    if ('enabled' in doc && typeof doc.enabled !== 'boolean') {
        return [400, 40004, 'field "enabled": must be a boolean'];
    }

    return doc;
}


/* the first failing check decides, in the module's order */
function checkPolicy(policy, account, app, hook, caller, body) {
    var a, rule, k, f, allowed, i;

    a = policy.accounts[account] || policy.accounts['*'];
    rule = a && a.apps ? (a.apps[app] || a.apps['*']) : null;

    if (!rule) {
        return [403, 40301, 'no policy rule for app ' + app];
    }

    if (rule.webhooks && rule.webhooks[hook]) {
        rule = rule.webhooks[hook];
    }

    if (!member(rule.editors, caller, policy.groups)) {
        return [403, 40302, 'caller "' + caller.slice(0, 64)
                            + '" is not an editor of app ' + app];
    }

    if (rule.fields) {
        allowed = null;
        for (k in rule.fields) {
            if (k === caller || (k[0] === '@'
                                 && member([k], caller, policy.groups)))
            {
                allowed = (allowed || []).concat(rule.fields[k]);
            }
        }
        if (allowed !== null) {
            for (f in FIELDS) {
                if (f in body && allowed.indexOf(f) === -1) {
                    return [403, 40307, 'caller may not change field "'
                                        + f + '"'];
                }
            }
        }
    }

    if (body.enabled === true && !member(rule.enablers, caller,
                                         policy.groups))
    {
        return [403, 40303, 'caller may not enable webhooks'];
    }

    if (body.enabled === false && rule.disablers
        && !member(rule.disablers, caller, policy.groups))
    {
        return [403, 40304, 'caller may not disable webhooks'];
    }

    if (body.parsedUrl && !urlAllowed(rule.urls || [], body.parsedUrl)) {
        return [403, 40305, 'url not in allowlist of app ' + app];
    }

    if (body.events) {
        for (i = 0; i < body.events.length; i++) {
            if (!rule.events || rule.events.indexOf(body.events[i]) === -1) {
                return [403, 40306, 'event "' + body.events[i]
                                    + '" not allowed for app ' + app];
            }
        }
    }

    return null;
}


/* keys in the order enabled, events, name, url; events as documented */
function canonical(body) {
    var out = {};

    if ('enabled' in body) {
        out.enabled = body.enabled;
    }

    if ('events' in body) {
        out.events = EVENTS.filter(e => body.events.indexOf(e) !== -1);
    }

    if ('name' in body) {
        out.name = body.name;
    }

    if ('url' in body) {
        out.url = body.url;
    }

    return JSON.stringify(out);
}


function edit(r) {
    var caller, m, ct, body, err;

    caller = r.headersIn['X-Caller'];
    if (!caller) {
        return fail(r, 401, 40101, 'no caller identity');
    }

    m = ROUTE.exec(r.uri);
    if (m === null || r.variables.request_uri !== r.uri) {
        return fail(r, 404, 40401, 'no such route');
    }

    if (r.method !== 'PATCH') {
        return fail(r, 405, 40501, 'method not allowed');
    }

    ct = r.headersIn['Content-Type'];
    if (!ct || ct.split(';')[0].trim().toLowerCase() !== 'application/json') {
        return fail(r, 415, 41501, 'Content-Type must be application/json');
    }

    body = checkBody(r.requestText || '');
    if (Array.isArray(body)) {
        return fail(r, body[0], body[1], body[2]);
    }

    err = checkPolicy(policy, m[1], m[2], m[3], caller, body);
    if (err !== null) {
        return fail(r, err[0], err[1], err[2]);
    }

    r.subrequest('/_cf/client/v4/accounts/' + m[1] + '/realtime/kit/'
                 + m[2] + '/webhooks/' + m[3],
                 {method: 'PATCH', body: canonical(body)})
    .then(reply => {
        r.headersOut['Content-Type'] = reply.headersOut['Content-Type']
                                       || 'application/json';
        r.return(reply.status, reply.responseText);
    })
    .catch(e => fail(r, 502, 50201, 'upstream failed'));
}


export default {edit};
