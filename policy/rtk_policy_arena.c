
/*
 * Copyright (C) ngx_rtk_module authors
 *
 * The policy's memory (an arena of malloc'ed chunks, released at once),
 * its hash tables, and the helpers the loader and evaluator share.
 */


#include <stdlib.h>
#include <string.h>

#include "rtk_policy_int.h"


#define RTK_POLICY_CHUNK          (64 * 1024)
#define RTK_POLICY_ALIGN          16


/* memory: an arena of malloc'ed chunks, released at once */

void *
rtk_policy_palloc(rtk_policy_t *policy, size_t size)
{
    size_t               head, want;
    rtk_policy_chunk_t  *c;

    head = (sizeof(rtk_policy_chunk_t) + RTK_POLICY_ALIGN - 1)
           & ~(size_t) (RTK_POLICY_ALIGN - 1);
    size = (size + RTK_POLICY_ALIGN - 1) & ~(size_t) (RTK_POLICY_ALIGN - 1);

    c = policy->chunks;

    if (c != NULL && c->size - c->used >= size) {
        c->used += size;
        return (unsigned char *) c + c->used - size;
    }

    if (size > RTK_POLICY_FILE_MAX) {
        return NULL;
    }

    /* big blocks get their own chunk behind the current one */
    want = (size > RTK_POLICY_CHUNK / 4) ? head + size : RTK_POLICY_CHUNK;

    c = malloc(want);
    if (c == NULL) {
        return NULL;
    }

    c->size = want;
    c->used = head + size;

    if (want != RTK_POLICY_CHUNK && policy->chunks != NULL) {
        c->next = policy->chunks->next;
        policy->chunks->next = c;

    } else {
        c->next = policy->chunks;
        policy->chunks = c;
    }

    return (unsigned char *) c + head;
}


void *
rtk_policy_pdup(rtk_policy_t *policy, const void *src, size_t len,
    size_t extra)
{
    unsigned char  *p;

    p = rtk_policy_palloc(policy, len + extra);
    if (p == NULL) {
        return NULL;
    }

    if (len != 0) {
        memcpy(p, src, len);
    }

    if (extra != 0) {
        memset(p + len, 0, extra);
    }

    return p;
}


/* the hash table */

uint32_t
rtk_policy_hash_key(const unsigned char *key, size_t len)
{
    uint64_t  h, w;

    /* 8 bytes a step: ids are 32 to 70 bytes and hashed per request */
    h = 0x9e3779b97f4a7c15ULL ^ len;

    while (len >= 8) {
        memcpy(&w, key, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
        key += 8;
        len -= 8;
    }

    w = 0;

    if (len != 0) {
        memcpy(&w, key, len);
    }

    h = (h ^ w) * 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;

    return (uint32_t) h;
}


void *
rtk_policy_hash_find(const rtk_policy_hash_t *h, const unsigned char *key,
    size_t len, uint32_t hash)
{
    size_t              i, mask;
    rtk_policy_slot_t  *s;

    if (h->size == 0) {
        return NULL;
    }

    mask = h->size - 1;

    for (i = hash & mask; /* void */; i = (i + 1) & mask) {
        s = &h->slots[i];

        if (s->key == NULL) {
            return NULL;
        }

        if (s->hash == hash && s->len == len
            && memcmp(s->key, key, len) == 0)
        {
            return s->value;
        }
    }
}


/* the key must stay valid; the caller has checked it is not present */

int
rtk_policy_hash_add(rtk_policy_hash_t *h, const unsigned char *key,
    size_t len, uint32_t hash, void *value)
{
    size_t              i, j, mask, size;
    rtk_policy_slot_t  *s, *slots;

    if ((h->count + 1) * 2 > h->size) {
        size = (h->size == 0) ? 16 : h->size * 2;

        slots = calloc(size, sizeof(rtk_policy_slot_t));
        if (slots == NULL) {
            return RTK_ERROR;
        }

        mask = size - 1;

        for (i = 0; i < h->size; i++) {
            if (h->slots[i].key == NULL) {
                continue;
            }

            for (j = h->slots[i].hash & mask;
                 slots[j].key != NULL;
                 j = (j + 1) & mask)
            {
                /* void */
            }

            slots[j] = h->slots[i];
        }

        free(h->slots);
        h->slots = slots;
        h->size = size;
    }

    mask = h->size - 1;

    for (i = hash & mask; h->slots[i].key != NULL; i = (i + 1) & mask) {
        /* void */
    }

    s = &h->slots[i];
    s->key = key;
    s->len = len;
    s->hash = hash;
    s->value = value;
    h->count++;

    return RTK_OK;
}


int
rtk_policy_vec_push(rtk_policy_vec_t *vec, const void *item, size_t size)
{
    size_t          n;
    unsigned char  *p;

    if (vec->len + size > vec->size) {
        n = (vec->size == 0) ? 256 : vec->size * 2;

        while (n < vec->len + size) {
            n *= 2;
        }

        p = realloc(vec->data, n);
        if (p == NULL) {
            return RTK_ERROR;
        }

        vec->data = p;
        vec->size = n;
    }

    memcpy(vec->data + vec->len, item, size);
    vec->len += size;

    return RTK_OK;
}


/*
 * Copies at most RTK_POLICY_CLIP bytes of a value into a message,
 * cut at a UTF-8 boundary, control characters made visible as '?'.
 * buf has room for RTK_POLICY_CLIP + 4 bytes.
 */

void
rtk_policy_clip(char *buf, const unsigned char *s, size_t len)
{
    size_t  i, n;

    n = len;

    if (n > RTK_POLICY_CLIP) {
        n = RTK_POLICY_CLIP;

        while (n > 0 && (s[n] & 0xc0) == 0x80) {
            n--;
        }
    }

    for (i = 0; i < n; i++) {
        buf[i] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : (char) s[i];
    }

    if (n < len) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }

    buf[n] = '\0';
}


unsigned
rtk_policy_bit(unsigned mask)
{
    unsigned  i;

    for (i = 0; i < 31 && !(mask & (1u << i)); i++) {
        /* void */
    }

    return i;
}


void
rtk_policy_free(rtk_policy_t *policy)
{
    rtk_policy_chunk_t  *c, *next;

    if (policy == NULL) {
        return;
    }

    for (c = policy->chunks; c != NULL; c = next) {
        next = c->next;
        free(c);
    }

    free(policy->accounts.slots);
    free(policy->apps.slots);
    free(policy->webhooks.slots);
    free(policy->callers.slots);
    free(policy->groups.slots);
    free(policy->urls.slots);
    free(policy);
}


const char *
rtk_policy_hash(const rtk_policy_t *policy)
{
    return policy->hash;
}


size_t
rtk_policy_apps(const rtk_policy_t *policy)
{
    return policy->napps;
}
