#!/usr/bin/env node
//
// Copyright (C) ngx_rtk_module authors
//
// Calls of the official Cloudflare TypeScript SDK, for t/20_sdk.py.
//
// Reads calls from standard input, one JSON object a line:
//
//   {"base_url": "http://127.0.0.1:PORT/client/v4",
//    "api_token": "the gateway key the SDK sends as its bearer token",
//    "headers": {...}, "method": "editWebhook",
//    "args": [webhookId, {account_id, app_id, ...}]}
//
// makes each call with a new client, one after the other, and answers
// each with one line on standard output:
//
//   {"ok": true, "sdk": "7.3.0", "result": <what the method resolved to>}
//   {"ok": false, "sdk": "7.3.0", "error": {"class", "classes", "status",
//    "errors", "error", "message"}}
//
// It ends at the end of its input.  One process serves a whole test file,
// so the SDK is loaded once.  It talks to 127.0.0.1 only and refuses any
// other base URL; it reads no CLOUDFLARE_* variable, since every
// credential option is given explicitly.
//

'use strict';

const readline = require('readline');
const Cloudflare = require('cloudflare');
const sdkVersion = require('cloudflare/version').VERSION;

const METHODS = ['createWebhook', 'getWebhooks', 'getWebhookByID',
                 'replaceWebhook', 'editWebhook', 'deleteWebhook'];

// the SDK's typed errors, most specific first
const ERRORS = ['BadRequestError', 'AuthenticationError',
                'PermissionDeniedError', 'NotFoundError', 'ConflictError',
                'UnprocessableEntityError', 'RateLimitError',
                'InternalServerError', 'APIConnectionTimeoutError',
                'APIConnectionError', 'APIUserAbortError', 'APIError',
                'CloudflareError'];

function fail(msg) {
    process.stderr.write('call.js: ' + msg + '\n');
    process.exit(2);
}

function describeError(e) {
    const classes = ERRORS.filter((n) => typeof Cloudflare[n] === 'function'
                                         && e instanceof Cloudflare[n]);
    return {
        class: e && e.constructor ? e.constructor.name : typeof e,
        classes: classes,
        status: e.status === undefined ? null : e.status,
        errors: e.errors === undefined ? null : e.errors,
        error: e.error === undefined ? null : e.error,
        message: String(e && e.message),
    };
}

function check(spec) {
    let url;
    try {
        url = new URL(spec.base_url);
    } catch (e) {
        fail('bad base_url: ' + spec.base_url);
    }
    if (url.protocol !== 'http:' || url.hostname !== '127.0.0.1') {
        fail('base_url must be http://127.0.0.1:PORT/...: ' + spec.base_url);
    }
    if (!METHODS.includes(spec.method)) {
        fail('not a webhooks method of the SDK: ' + spec.method);
    }
    if (!Array.isArray(spec.args)) {
        fail('args must be an array');
    }
}

async function call(spec) {
    check(spec);

    const client = new Cloudflare({
        baseURL: spec.base_url,
        apiToken: spec.api_token,
        apiKey: null,
        apiEmail: null,
        userServiceKey: null,
        defaultHeaders: spec.headers || {},
        maxRetries: 0,
        timeout: 10000,
    });

    const webhooks = client.realtimeKit.webhooks;
    if (typeof webhooks[spec.method] !== 'function') {
        fail('SDK ' + sdkVersion + ' has no realtimeKit.webhooks.'
             + spec.method);
    }

    try {
        const result = await webhooks[spec.method](...spec.args);
        return { ok: true, sdk: sdkVersion, result: result };
    } catch (e) {
        return { ok: false, sdk: sdkVersion, error: describeError(e) };
    }
}

function write(line) {
    return new Promise((resolve) => process.stdout.write(line, resolve));
}

async function main() {
    const lines = readline.createInterface({ input: process.stdin,
                                             crlfDelay: Infinity });
    for await (const line of lines) {
        if (line.trim() === '') {
            continue;
        }
        let spec;
        try {
            spec = JSON.parse(line);
        } catch (e) {
            fail('a line of input is not one JSON object: ' + e.message);
        }
        await write(JSON.stringify(await call(spec)) + '\n');
    }
}

main().catch((e) => fail(e && e.stack ? e.stack : String(e)));
