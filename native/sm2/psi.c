/*
 * Batch X25519 for ECDH-PSI (issue #22; src/privacy/group.ts). One Node-API call masks a
 * whole batch off the JS thread (libuv's pool), so both parties' cores stay busy and no
 * KeyObject is built per element:
 *
 *   psiX25519(scalar32, input, mode, dst) -> Promise<{ out: Uint8Array(n*32), bad: number }>
 *     mode 0: input is n*32 bytes of u-coordinates a peer sent; each is checked canonical
 *             (u < 2^255 - 19, u != 0, 1) and then multiplied: X25519(scalar, u).
 *     mode 1: input is identifiers, each as a 2-byte big-endian length then UTF-8 bytes;
 *             each is first hashed to u = hash_to_field(id) (RFC 9380 §5.2 with
 *             expand_message_xmd SHA-512, L = 48, one element of GF(2^255 - 19)) under dst.
 *     bad = index of the first refused element (non-canonical, u in {0, 1}, or a low-order u
 *     whose X25519 output is all zero), or -1. A refused batch returns no output.
 *
 * The scalar multiplication is OpenSSL's X25519 (RFC 7748, constant time) through
 * EVP_PKEY_derive, with the private key and the derive context made once per batch; only
 * the peer key is made per element (EVP_PKEY_new_raw_public_key). Peer validation is left
 * to us (checked above), so OpenSSL's per-derive public-key check is skipped.
 */
#include <node_api.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DST 255

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  unsigned char scalar[32];
  unsigned char dst[MAX_DST];
  size_t dst_len;
  int mode;
  unsigned char *in;
  size_t in_len;
  unsigned char *out;
  size_t n;
  long bad;
  int failed; /* OpenSSL failed for another reason than a low-order input */
} psi_job;

/* ---- RFC 9380 hash_to_field onto GF(2^255 - 19) ---- */

/* x mod p for a 48-byte big-endian x, written as 32 bytes little-endian. p = 2^255 - 19, so
 * 2^255 = 19 (mod p): fold the bits above 255 twice, then one constant-time subtraction. */
static void reduce48(const unsigned char *be, unsigned char *le) {
  uint64_t x[6];
  for (int i = 0; i < 6; i++) {
    uint64_t w = 0;
    for (int j = 0; j < 8; j++) w = (w << 8) | be[47 - (i * 8 + 7 - j)];
    x[i] = w;
  }
  /* x = lo + hi * 2^255, lo < 2^255, hi < 2^129 */
  uint64_t hi[3] = {(x[3] >> 63) | (x[4] << 1), (x[4] >> 63) | (x[5] << 1), x[5] >> 63};
  uint64_t v[4] = {x[0], x[1], x[2], x[3] & 0x7fffffffffffffffULL};
  unsigned __int128 c = 0;
  for (int i = 0; i < 4; i++) {
    c += (unsigned __int128)v[i] + (i < 3 ? (unsigned __int128)hi[i] * 19 : 0);
    v[i] = (uint64_t)c;
    c >>= 64;
  }
  /* v < 2^256: fold bit 255 once more */
  uint64_t t = v[3] >> 63;
  v[3] &= 0x7fffffffffffffffULL;
  c = (unsigned __int128)v[0] + t * 19;
  v[0] = (uint64_t)c;
  c >>= 64;
  for (int i = 1; i < 4; i++) {
    c += v[i];
    v[i] = (uint64_t)c;
    c >>= 64;
  }
  /* v < 2^255 + 19: subtract p iff v + 19 >= 2^255 */
  uint64_t w[4];
  c = (unsigned __int128)v[0] + 19;
  w[0] = (uint64_t)c;
  c >>= 64;
  for (int i = 1; i < 4; i++) {
    c += v[i];
    w[i] = (uint64_t)c;
    c >>= 64;
  }
  uint64_t ge = 0 - (w[3] >> 63); /* all ones when v >= p */
  w[3] &= 0x7fffffffffffffffULL;
  for (int i = 0; i < 4; i++) {
    uint64_t r = (w[i] & ge) | (v[i] & ~ge);
    for (int j = 0; j < 8; j++) le[i * 8 + j] = (unsigned char)(r >> (8 * j));
  }
}

/* RFC 9380 §5.3.1 expand_message_xmd(SHA-512), len_in_bytes = 48 (ell = 1), then §5.2. */
static void hash_to_u(const SHA512_CTX *zpad, const unsigned char *msg, size_t len,
                      const unsigned char *dst_prime, size_t dp_len, unsigned char *u) {
  static const unsigned char lib[3] = {0, 48, 0};
  static const unsigned char one = 1;
  unsigned char b0[64], b1[64];
  SHA512_CTX c = *zpad;
  SHA512_Update(&c, msg, len);
  SHA512_Update(&c, lib, 3);
  SHA512_Update(&c, dst_prime, dp_len);
  SHA512_Final(b0, &c);
  SHA512_Init(&c);
  SHA512_Update(&c, b0, 64);
  SHA512_Update(&c, &one, 1);
  SHA512_Update(&c, dst_prime, dp_len);
  SHA512_Final(b1, &c);
  reduce48(b1, u);
}

/* u < p, u not 0 or 1 (u = 0 and u = 1 are of low order on the curve). */
static int canonical(const unsigned char *e) {
  if (e[31] > 0x7f) return 0;
  if (e[31] == 0x7f) {
    int all = 1;
    for (int i = 30; i >= 1; i--) all &= e[i] == 0xff;
    if (all && e[0] >= 0xed) return 0;
  }
  int small = 1;
  for (int i = 1; i < 32; i++) small &= e[i] == 0;
  return !(small && e[0] <= 1);
}

static void execute(napi_env env, void *data) {
  (void)env;
  psi_job *j = (psi_job *)data;
  j->bad = -1;
  EVP_PKEY *priv = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, j->scalar, 32);
  EVP_PKEY_CTX *ctx = priv ? EVP_PKEY_CTX_new(priv, NULL) : NULL;
  if (ctx == NULL || EVP_PKEY_derive_init(ctx) <= 0) {
    j->failed = 1;
    goto done;
  }
  SHA512_CTX zpad;
  unsigned char dst_prime[MAX_DST + 1];
  memcpy(dst_prime, j->dst, j->dst_len);
  dst_prime[j->dst_len] = (unsigned char)j->dst_len;
  if (j->mode == 1) {
    unsigned char z[128] = {0};
    SHA512_Init(&zpad);
    SHA512_Update(&zpad, z, 128);
  }
  size_t pos = 0;
  for (size_t i = 0; i < j->n; i++) {
    unsigned char u[32];
    const unsigned char *pt;
    if (j->mode == 1) {
      size_t len = ((size_t)j->in[pos] << 8) | j->in[pos + 1];
      hash_to_u(&zpad, j->in + pos + 2, len, dst_prime, j->dst_len + 1, u);
      pos += 2 + len;
      pt = u;
    } else {
      pt = j->in + i * 32;
      if (!canonical(pt)) {
        j->bad = (long)i;
        goto done;
      }
    }
    EVP_PKEY *peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pt, 32);
    size_t outlen = 32;
    int ok = peer != NULL && EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) > 0;
    if (ok && EVP_PKEY_derive(ctx, j->out + i * 32, &outlen) <= 0) {
      /* OpenSSL refuses an all-zero shared secret (RFC 7748 §6.1): a low-order input. */
      EVP_PKEY_free(peer);
      ERR_clear_error();
      j->bad = (long)i;
      goto done;
    }
    EVP_PKEY_free(peer);
    if (!ok) {
      j->failed = 1;
      goto done;
    }
  }
done:
  ERR_clear_error();
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(priv);
  OPENSSL_cleanse(j->scalar, 32);
}

static void complete(napi_env env, napi_status status, void *data) {
  psi_job *j = (psi_job *)data;
  napi_value result, out, bad;
  if (status != napi_ok || j->failed) {
    napi_value msg, code, err;
    napi_create_string_utf8(env, "OpenSSL X25519 failed", NAPI_AUTO_LENGTH, &msg);
    napi_create_string_utf8(env, "PRIVACY_NATIVE", NAPI_AUTO_LENGTH, &code);
    napi_create_error(env, code, msg, &err);
    napi_reject_deferred(env, j->deferred, err);
  } else {
    void *buf = NULL;
    napi_value ab;
    size_t len = j->bad < 0 ? j->n * 32 : 0;
    napi_create_arraybuffer(env, len, &buf, &ab);
    if (len) memcpy(buf, j->out, len);
    napi_create_typedarray(env, napi_uint8_array, len, ab, 0, &out);
    napi_create_int64(env, j->bad, &bad);
    napi_create_object(env, &result);
    napi_set_named_property(env, result, "out", out);
    napi_set_named_property(env, result, "bad", bad);
    napi_resolve_deferred(env, j->deferred, result);
  }
  napi_delete_async_work(env, j->work);
  free(j->in);
  free(j->out);
  free(j);
}

static int bytes_of(napi_env env, napi_value v, unsigned char **data, size_t *len) {
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_typedarray_info(env, v, &t, len, (void **)data, &ab, &off) != napi_ok) return 0;
  return t == napi_uint8_array;
}

static napi_value fail(napi_env env, const char *msg) {
  napi_throw_error(env, "PRIVACY_BAD_ARGS", msg);
  return NULL;
}

static napi_value js_psi_x25519(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4) return fail(env, "psiX25519(scalar, input, mode, dst)");
  unsigned char *scalar, *in, *dst;
  size_t slen, in_len, dlen;
  int32_t mode;
  if (!bytes_of(env, argv[0], &scalar, &slen) || slen != 32) return fail(env, "scalar: 32 bytes");
  if (!bytes_of(env, argv[1], &in, &in_len)) return fail(env, "input: a Uint8Array");
  if (napi_get_value_int32(env, argv[2], &mode) != napi_ok || (mode != 0 && mode != 1)) return fail(env, "mode: 0 (points) or 1 (identifiers)");
  if (!bytes_of(env, argv[3], &dst, &dlen) || dlen > MAX_DST) return fail(env, "dst: at most 255 bytes");
  size_t n = 0;
  if (mode == 0) {
    if (in_len % 32) return fail(env, "points: a whole number of 32-byte elements");
    n = in_len / 32;
  } else {
    for (size_t pos = 0; pos < in_len; n++) {
      if (pos + 2 > in_len) return fail(env, "identifiers: a truncated length");
      size_t len = ((size_t)in[pos] << 8) | in[pos + 1];
      if (pos + 2 + len > in_len) return fail(env, "identifiers: a truncated identifier");
      pos += 2 + len;
    }
  }
  psi_job *j = (psi_job *)calloc(1, sizeof(psi_job));
  if (j == NULL) return fail(env, "out of memory");
  j->in = (unsigned char *)malloc(in_len ? in_len : 1);
  j->out = (unsigned char *)malloc(n ? n * 32 : 1);
  if (j->in == NULL || j->out == NULL) {
    free(j->in);
    free(j->out);
    free(j);
    return fail(env, "out of memory");
  }
  memcpy(j->in, in, in_len);
  j->in_len = in_len;
  memcpy(j->scalar, scalar, 32);
  memcpy(j->dst, dst, dlen);
  j->dst_len = dlen;
  j->mode = mode;
  j->n = n;
  napi_value promise, name;
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "psiX25519", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, execute, complete, j, &j->work);
  napi_queue_async_work(env, j->work);
  return promise;
}

void psi_register_paillier(napi_env env, napi_value exports);

void psi_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"psiX25519", NULL, js_psi_x25519, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, 1, props);
  psi_register_paillier(env, exports);
}

/* ---- Paillier encryption for PSI-sum (src/privacy/paillier.ts) ----
 *
 *   psiPaillierEncrypt(n, h, m) -> Promise<Uint8Array(k*512)>
 *     n: 256 bytes big-endian (the 2048-bit modulus), h: 512 bytes (DJN's h = (-x^2)^n mod n^2),
 *     m: k plaintexts of 256 bytes big-endian, each < n. Each ciphertext, 512 bytes big-endian,
 *     is (1 + m·n) · h^α mod n^2 for a fresh 256-bit α from OpenSSL's CSPRNG: Damgård–Jurik–
 *     Nielsen (PKC 2010, §4) with the fixed-base table of Brickell, Gordon, McCurley and Wilson
 *     (EUROCRYPT '92), one row per byte of α, so one encryption is 32 Montgomery multiplications.
 */
#include <openssl/bn.h>
#include <openssl/rand.h>

#define PAI_N 256
#define PAI_C 512

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  unsigned char n[PAI_N], h[PAI_C];
  unsigned char *m;
  unsigned char *out;
  size_t k;
  int failed;
} pai_job;

static void pai_execute(napi_env env, void *data) {
  (void)env;
  pai_job *j = (pai_job *)data;
  BN_CTX *bc = BN_CTX_new();
  BN_MONT_CTX *mont = BN_MONT_CTX_new();
  BIGNUM *n = BN_bin2bn(j->n, PAI_N, NULL), *n2 = BN_new(), *h = BN_bin2bn(j->h, PAI_C, NULL);
  BIGNUM *acc = BN_new(), *g = BN_new(), *m = BN_new(), *one = BN_new();
  BIGNUM **table = (BIGNUM **)calloc(32 * 256, sizeof(BIGNUM *));
  int ok = bc && mont && n && n2 && h && acc && g && m && one && table && BN_one(one) &&
           BN_sqr(n2, n, bc) && BN_MONT_CTX_set(mont, n2, bc) && BN_cmp(h, n2) < 0;
  /* table[w*256 + d] = h^(d·256^w) in Montgomery form; d = 0 is skipped (the identity). */
  if (ok) ok = (table[1] = BN_new()) && BN_to_montgomery(table[1], h, mont, bc);
  for (int w = 0; ok && w < 32; w++) {
    if (w > 0) ok = (table[w * 256 + 1] = BN_new()) && BN_mod_mul_montgomery(table[w * 256 + 1], table[(w - 1) * 256 + 255], table[(w - 1) * 256 + 1], mont, bc);
    for (int d = 2; ok && d < 256; d++)
      ok = (table[w * 256 + d] = BN_new()) && BN_mod_mul_montgomery(table[w * 256 + d], table[w * 256 + d - 1], table[w * 256 + 1], mont, bc);
  }
  for (size_t i = 0; ok && i < j->k; i++) {
    unsigned char alpha[32];
    int have = 0;
    ok = RAND_bytes(alpha, 32) == 1;
    for (int w = 0; ok && w < 32; w++) {
      if (alpha[w] == 0) continue;
      if (!have) ok = BN_copy(acc, table[w * 256 + alpha[w]]) != NULL;
      else ok = BN_mod_mul_montgomery(acc, acc, table[w * 256 + alpha[w]], mont, bc);
      have = 1;
    }
    OPENSSL_cleanse(alpha, 32);
    if (ok && !have) ok = BN_to_montgomery(acc, one, mont, bc); /* α = 0: h^0 */
    /* g^m = 1 + m·n (g = n + 1), < n^2 since m < n */
    ok = ok && BN_bin2bn(j->m + i * PAI_N, PAI_N, m) && BN_cmp(m, n) < 0 && BN_mul(g, m, n, bc) && BN_add_word(g, 1) &&
         BN_to_montgomery(g, g, mont, bc) && BN_mod_mul_montgomery(g, g, acc, mont, bc) && BN_from_montgomery(g, g, mont, bc) &&
         BN_bn2binpad(g, j->out + i * PAI_C, PAI_C) == PAI_C;
  }
  if (table) {
    for (int i = 0; i < 32 * 256; i++) BN_clear_free(table[i]);
    free(table);
  }
  BN_free(n); BN_free(n2); BN_free(h); BN_clear_free(acc); BN_clear_free(g); BN_clear_free(m); BN_free(one);
  BN_MONT_CTX_free(mont);
  BN_CTX_free(bc);
  ERR_clear_error();
  j->failed = !ok;
}

static void pai_complete(napi_env env, napi_status status, void *data) {
  pai_job *j = (pai_job *)data;
  if (status != napi_ok || j->failed) {
    napi_value msg, code, err;
    napi_create_string_utf8(env, "Paillier encryption failed (a plaintext >= n, h >= n^2, or OpenSSL failed)", NAPI_AUTO_LENGTH, &msg);
    napi_create_string_utf8(env, "PRIVACY_BAD_KEY", NAPI_AUTO_LENGTH, &code);
    napi_create_error(env, code, msg, &err);
    napi_reject_deferred(env, j->deferred, err);
  } else {
    void *buf = NULL;
    napi_value ab, out;
    napi_create_arraybuffer(env, j->k * PAI_C, &buf, &ab);
    if (j->k) memcpy(buf, j->out, j->k * PAI_C);
    napi_create_typedarray(env, napi_uint8_array, j->k * PAI_C, ab, 0, &out);
    napi_resolve_deferred(env, j->deferred, out);
  }
  napi_delete_async_work(env, j->work);
  free(j->m);
  free(j->out);
  free(j);
}

static napi_value js_paillier_encrypt(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  unsigned char *n, *h, *m;
  size_t nl, hl, ml;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) return fail(env, "psiPaillierEncrypt(n, h, plaintexts)");
  if (!bytes_of(env, argv[0], &n, &nl) || nl != PAI_N) return fail(env, "n: 256 bytes");
  if (!bytes_of(env, argv[1], &h, &hl) || hl != PAI_C) return fail(env, "h: 512 bytes");
  if (!bytes_of(env, argv[2], &m, &ml) || ml % PAI_N) return fail(env, "plaintexts: a whole number of 256-byte values");
  pai_job *j = (pai_job *)calloc(1, sizeof(pai_job));
  if (j == NULL) return fail(env, "out of memory");
  j->k = ml / PAI_N;
  j->m = (unsigned char *)malloc(ml ? ml : 1);
  j->out = (unsigned char *)malloc(j->k ? j->k * PAI_C : 1);
  if (j->m == NULL || j->out == NULL) {
    free(j->m);
    free(j->out);
    free(j);
    return fail(env, "out of memory");
  }
  memcpy(j->m, m, ml);
  memcpy(j->n, n, PAI_N);
  memcpy(j->h, h, PAI_C);
  napi_value promise, name;
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "psiPaillierEncrypt", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, pai_execute, pai_complete, j, &j->work);
  napi_queue_async_work(env, j->work);
  return promise;
}

void psi_register_paillier(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"psiPaillierEncrypt", NULL, js_paillier_encrypt, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, 1, props);
}
