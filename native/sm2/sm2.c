/*
 * Shulian SM2 addon: real SM2 (GB/T 32918.2) signatures through the OpenSSL 3 that is
 * bundled in (and exported by) the node binary. Plain Node-API, no C++.
 *
 *   verify(pub65, msg, sig64[, id]) -> boolean   never throws on bad input, just false
 *   sign(priv32, msg[, id])         -> Uint8Array(64)  r||s
 *   publicKey(priv32)               -> Uint8Array(65)  0x04||X||Y
 *
 * Verification is the hot path. For the default ID we keep, per JS environment (main
 * thread or worker), a small direct-mapped cache from public key to a fully initialised
 * EVP_MD_CTX (key imported, ID set, SM3 fetched). A verification then only duplicates
 * that context and runs it, skipping key import, algorithm fetches and the ZA hash
 * set-up that EVP_DigestVerifyInit would otherwise redo for every signature.
 *
 * Signing keeps the same kind of template for the last few private keys it signed with (a
 * node signs with its validator and node keys, a client with one): without it each signature
 * derived the public key (a scalar multiplication), imported the key pair and initialised
 * the context again, and cost 1.8x a verification; a tbft validator signs every vote.
 * The private keys are kept in OpenSSL's secure heap where it has one, and cleansed on free.
 */
#include <node_api.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void psi_register(napi_env env, napi_value exports);

#define DEFAULT_ID "1234567812345678"
#define DEFAULT_ID_LEN 16
#define CACHE_SLOTS 1024 /* power of two */
#define MAX_ID_LEN 8191  /* ENTL is a 16-bit bit length (GB/T 32918.2 §5.5) */

typedef struct {
  unsigned char pub[65];
  EVP_MD_CTX *tmpl; /* NULL = empty slot */
} cache_slot;

#define SIGN_SLOTS 8

typedef struct {
  unsigned char *priv; /* 32 bytes, secure heap; NULL = empty slot */
  EVP_MD_CTX *tmpl;
} sign_slot;

typedef struct {
  EVP_PKEY_CTX *kctx;  /* key manager context for EVP_PKEY_fromdata */
  EVP_MD_CTX *work;    /* scratch context, reused */
  EC_GROUP *group;     /* SM2 curve for public key derivation */
  BIGNUM *order_m1;    /* n - 1 */
  cache_slot *cache;
  sign_slot signers[SIGN_SLOTS];
  size_t next_signer;  /* round-robin eviction */
} addon_state;

/* ---------- helpers ---------- */

static void state_free(addon_state *st) {
  if (st == NULL) return;
  if (st->cache != NULL) {
    for (size_t i = 0; i < CACHE_SLOTS; i++) EVP_MD_CTX_free(st->cache[i].tmpl);
    free(st->cache);
  }
  for (size_t i = 0; i < SIGN_SLOTS; i++) {
    EVP_MD_CTX_free(st->signers[i].tmpl);
    OPENSSL_secure_clear_free(st->signers[i].priv, 32);
  }
  EVP_MD_CTX_free(st->work);
  EVP_PKEY_CTX_free(st->kctx);
  EC_GROUP_free(st->group);
  BN_free(st->order_m1);
  free(st);
}

static void state_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  state_free((addon_state *)data);
}

static addon_state *state_new(void) {
  addon_state *st = (addon_state *)calloc(1, sizeof(addon_state));
  if (st == NULL) return NULL;
  st->cache = (cache_slot *)calloc(CACHE_SLOTS, sizeof(cache_slot));
  st->kctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
  st->work = EVP_MD_CTX_new();
  st->group = EC_GROUP_new_by_curve_name(NID_sm2);
  st->order_m1 = BN_new();
  if (st->cache == NULL || st->kctx == NULL || st->work == NULL || st->group == NULL ||
      st->order_m1 == NULL || BN_copy(st->order_m1, EC_GROUP_get0_order(st->group)) == NULL ||
      !BN_sub_word(st->order_m1, 1)) {
    state_free(st);
    return NULL;
  }
  return st;
}

static addon_state *get_state(napi_env env) {
  void *data = NULL;
  if (napi_get_instance_data(env, &data) != napi_ok) return NULL;
  return (addon_state *)data;
}

/* Returns 1 and fills ptr/len if v is a Uint8Array (Buffer included). */
static int get_bytes(napi_env env, napi_value v, const unsigned char **ptr, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, NULL, NULL) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *ptr = length == 0 ? (const unsigned char *)"" : (const unsigned char *)data;
  *len = length;
  return 1;
}

static int is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  return t == napi_undefined || t == napi_null;
}

static napi_value make_u8(napi_env env, const unsigned char *src, size_t len) {
  void *data = NULL;
  napi_value ab, out;
  if (napi_create_arraybuffer(env, len, &data, &ab) != napi_ok) return NULL;
  memcpy(data, src, len);
  if (napi_create_typedarray(env, napi_uint8_array, len, ab, 0, &out) != napi_ok) return NULL;
  return out;
}

static napi_value make_bool(napi_env env, int b) {
  napi_value out;
  napi_get_boolean(env, b ? true : false, &out);
  return out;
}

/* DER INTEGER of a 32-byte unsigned big-endian value; returns bytes written (<= 35). */
static size_t der_uint(unsigned char *out, const unsigned char *v) {
  size_t i = 0;
  while (i < 31 && v[i] == 0) i++;
  size_t pad = (v[i] & 0x80) ? 1 : 0;
  size_t len = 32 - i + pad;
  out[0] = 0x02;
  out[1] = (unsigned char)len;
  if (pad) out[2] = 0x00;
  memcpy(out + 2 + pad, v + i, 32 - i);
  return 2 + len;
}

/* r||s (64 bytes) -> DER SEQUENCE { INTEGER r, INTEGER s } (<= 72 bytes). */
static size_t rs_to_der(unsigned char *out, const unsigned char *rs) {
  size_t n = 2;
  n += der_uint(out + n, rs);
  n += der_uint(out + n, rs + 32);
  out[0] = 0x30;
  out[1] = (unsigned char)(n - 2);
  return n;
}

/* Parse one DER INTEGER at *p into 32 big-endian bytes; 1 on success. */
static int der_read_uint(const unsigned char **p, const unsigned char *end, unsigned char *out32) {
  const unsigned char *q = *p;
  if (end - q < 2 || q[0] != 0x02) return 0;
  size_t len = q[1];
  q += 2;
  if (len == 0 || len > 33 || (size_t)(end - q) < len) return 0;
  const unsigned char *v = q;
  size_t vl = len;
  while (vl > 1 && v[0] == 0) v++, vl--;
  if (vl > 32) return 0;
  memset(out32, 0, 32);
  memcpy(out32 + 32 - vl, v, vl);
  *p = q + len;
  return 1;
}

static int der_to_rs(const unsigned char *der, size_t der_len, unsigned char *rs) {
  const unsigned char *p = der, *end = der + der_len;
  if (der_len < 2 || p[0] != 0x30 || p[1] != der_len - 2) return 0;
  p += 2;
  if (!der_read_uint(&p, end, rs) || !der_read_uint(&p, end, rs + 32)) return 0;
  return p == end;
}

/* EVP_PKEY "SM2" from an uncompressed point; OpenSSL checks the point is on the curve. */
static EVP_PKEY *pkey_from_pub(addon_state *st, const unsigned char *pub65) {
  EVP_PKEY *pkey = NULL;
  OSSL_PARAM params[3];
  params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"SM2", 0);
  params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub65, 65);
  params[2] = OSSL_PARAM_construct_end();
  if (EVP_PKEY_fromdata_init(st->kctx) <= 0 ||
      EVP_PKEY_fromdata(st->kctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
    return NULL;
  }
  return pkey;
}

/* A DigestVerify context, initialised for SM3 with the given ID (GB/T 32918.2 ZA). */
static EVP_MD_CTX *verify_ctx_new(EVP_PKEY *pkey, const unsigned char *id, size_t id_len) {
  EVP_MD_CTX *mctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  if (mctx == NULL) return NULL;
  if (EVP_DigestVerifyInit(mctx, &pctx, EVP_sm3(), NULL, pkey) <= 0 ||
      EVP_PKEY_CTX_set1_id(pctx, id, id_len) <= 0) {
    EVP_MD_CTX_free(mctx);
    return NULL;
  }
  return mctx;
}

static size_t slot_of(const unsigned char *pub65) {
  /* X is uniformly distributed, so a few of its bytes are a fine index; full compare follows. */
  uint32_t h = ((uint32_t)pub65[1] << 24) ^ ((uint32_t)pub65[2] << 16) ^ ((uint32_t)pub65[3] << 8) ^
               (uint32_t)pub65[4] ^ ((uint32_t)pub65[33] << 5);
  return (size_t)(h & (CACHE_SLOTS - 1));
}

/* Cached template for the default ID; NULL if the key is invalid. Not owned by caller. */
static EVP_MD_CTX *cached_verify_ctx(addon_state *st, const unsigned char *pub65) {
  cache_slot *slot = &st->cache[slot_of(pub65)];
  if (slot->tmpl != NULL && memcmp(slot->pub, pub65, 65) == 0) return slot->tmpl;
  EVP_PKEY *pkey = pkey_from_pub(st, pub65);
  if (pkey == NULL) return NULL;
  EVP_MD_CTX *tmpl = verify_ctx_new(pkey, (const unsigned char *)DEFAULT_ID, DEFAULT_ID_LEN);
  EVP_PKEY_free(pkey); /* the context holds its own reference */
  if (tmpl == NULL) return NULL;
  EVP_MD_CTX_free(slot->tmpl);
  slot->tmpl = tmpl;
  memcpy(slot->pub, pub65, 65);
  return tmpl;
}

/* Whether d is in [1, n-2] (GB/T 32918.1 §6.1), without a scalar multiplication. */
static int priv_in_range(addon_state *st, const unsigned char *priv32) {
  BIGNUM *d = BN_secure_new();
  int ok = d != NULL && BN_bin2bn(priv32, 32, d) != NULL && !BN_is_zero(d) && BN_cmp(d, st->order_m1) < 0;
  BN_clear_free(d);
  return ok;
}

/* Derive 0x04||X||Y from d, after checking d in [1, n-2] (GB/T 32918.1 §6.1). */
static int derive_pub(addon_state *st, const unsigned char *priv32, unsigned char *pub65) {
  int ok = 0;
  BIGNUM *d = BN_secure_new();
  EC_POINT *P = EC_POINT_new(st->group);
  BN_CTX *bctx = BN_CTX_secure_new();
  if (d == NULL || P == NULL || bctx == NULL) goto done;
  if (BN_bin2bn(priv32, 32, d) == NULL) goto done;
  BN_set_flags(d, BN_FLG_CONSTTIME);
  if (BN_is_zero(d) || BN_cmp(d, st->order_m1) >= 0) goto done;
  if (!EC_POINT_mul(st->group, P, d, NULL, NULL, bctx)) goto done;
  if (EC_POINT_point2oct(st->group, P, POINT_CONVERSION_UNCOMPRESSED, pub65, 65, bctx) != 65) goto done;
  ok = 1;
done:
  BN_clear_free(d);
  EC_POINT_free(P);
  BN_CTX_free(bctx);
  return ok;
}

static EVP_PKEY *pkey_from_priv(addon_state *st, const unsigned char *priv32, const unsigned char *pub65) {
  EVP_PKEY *pkey = NULL;
  unsigned char le[32]; /* OSSL_PARAM integers are native-endian */
  for (int i = 0; i < 32; i++) le[i] = priv32[31 - i];
  OSSL_PARAM params[4];
  params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"SM2", 0);
  params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub65, 65);
  params[2] = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_PRIV_KEY, le, sizeof(le));
  params[3] = OSSL_PARAM_construct_end();
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  memcpy(le, priv32, 32);
#endif
  if (EVP_PKEY_fromdata_init(st->kctx) <= 0 ||
      EVP_PKEY_fromdata(st->kctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0) {
    pkey = NULL;
  }
  OPENSSL_cleanse(le, sizeof(le));
  return pkey;
}

/* A DigestSign context for the key pair (priv32, pub65), initialised for SM3 with the given ID. */
static EVP_MD_CTX *sign_ctx_new(addon_state *st, const unsigned char *priv32, const unsigned char *id, size_t id_len) {
  unsigned char pub[65];
  if (!derive_pub(st, priv32, pub)) return NULL;
  EVP_PKEY *pkey = pkey_from_priv(st, priv32, pub);
  if (pkey == NULL) return NULL;
  EVP_MD_CTX *mctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  if (mctx == NULL || EVP_DigestSignInit(mctx, &pctx, EVP_sm3(), NULL, pkey) <= 0 ||
      EVP_PKEY_CTX_set1_id(pctx, id, id_len) <= 0) {
    EVP_MD_CTX_free(mctx);
    mctx = NULL;
  }
  EVP_PKEY_free(pkey); /* the context holds its own reference */
  return mctx;
}

/* Cached template for signing with priv32 and the default ID; NULL if the key is invalid. Not owned by caller. */
static EVP_MD_CTX *cached_sign_ctx(addon_state *st, const unsigned char *priv32) {
  for (size_t i = 0; i < SIGN_SLOTS; i++) {
    sign_slot *s = &st->signers[i];
    if (s->tmpl != NULL && CRYPTO_memcmp(s->priv, priv32, 32) == 0) return s->tmpl;
  }
  EVP_MD_CTX *tmpl = sign_ctx_new(st, priv32, (const unsigned char *)DEFAULT_ID, DEFAULT_ID_LEN);
  if (tmpl == NULL) return NULL;
  sign_slot *s = &st->signers[st->next_signer];
  st->next_signer = (st->next_signer + 1) % SIGN_SLOTS;
  if (s->priv == NULL) s->priv = (unsigned char *)OPENSSL_secure_malloc(32);
  if (s->priv == NULL) {
    EVP_MD_CTX_free(tmpl);
    return NULL;
  }
  EVP_MD_CTX_free(s->tmpl);
  s->tmpl = tmpl;
  memcpy(s->priv, priv32, 32);
  return tmpl;
}

/* Read an optional ID argument: default when nullish; 0 if it is not a valid byte array. */
static int read_id(napi_env env, napi_value v, const unsigned char **id, size_t *id_len, int *is_default) {
  *is_default = 0;
  if (is_nullish(env, v)) {
    *id = (const unsigned char *)DEFAULT_ID;
    *id_len = DEFAULT_ID_LEN;
    *is_default = 1;
    return 1;
  }
  if (!get_bytes(env, v, id, id_len) || *id_len > MAX_ID_LEN) return 0;
  if (*id_len == DEFAULT_ID_LEN && memcmp(*id, DEFAULT_ID, DEFAULT_ID_LEN) == 0) *is_default = 1;
  return 1;
}

/* ---------- exported functions ---------- */

static napi_value js_verify(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  const unsigned char *pub, *msg, *sig, *id;
  size_t pub_len, msg_len, sig_len, id_len;
  int is_default, ok = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) return make_bool(env, 0);
  addon_state *st = get_state(env);
  if (st == NULL) return make_bool(env, 0);
  if (argc < 4) argv[3] = NULL;
  if (!get_bytes(env, argv[0], &pub, &pub_len) || pub_len != 65 || pub[0] != 0x04) return make_bool(env, 0);
  if (!get_bytes(env, argv[1], &msg, &msg_len)) return make_bool(env, 0);
  if (!get_bytes(env, argv[2], &sig, &sig_len) || sig_len != 64) return make_bool(env, 0);
  if (argv[3] == NULL) {
    id = (const unsigned char *)DEFAULT_ID;
    id_len = DEFAULT_ID_LEN;
    is_default = 1;
  } else if (!read_id(env, argv[3], &id, &id_len, &is_default)) {
    return make_bool(env, 0);
  }

  unsigned char der[72];
  size_t der_len = rs_to_der(der, sig);

  if (is_default) {
    EVP_MD_CTX *tmpl = cached_verify_ctx(st, pub);
    if (tmpl != NULL && EVP_MD_CTX_copy_ex(st->work, tmpl)) {
      /* FINALISE: let DigestVerifyFinal consume the context instead of duplicating it again. */
      EVP_MD_CTX_set_flags(st->work, EVP_MD_CTX_FLAG_FINALISE);
      ok = EVP_DigestVerify(st->work, der, der_len, msg, msg_len) == 1;
    }
    EVP_MD_CTX_reset(st->work);
  } else {
    EVP_PKEY *pkey = pkey_from_pub(st, pub);
    if (pkey != NULL) {
      EVP_MD_CTX *mctx = verify_ctx_new(pkey, id, id_len);
      if (mctx != NULL) ok = EVP_DigestVerify(mctx, der, der_len, msg, msg_len) == 1;
      EVP_MD_CTX_free(mctx);
      EVP_PKEY_free(pkey);
    }
  }
  ERR_clear_error(); /* failed checks queue errors on this thread; do not let them pile up */
  return make_bool(env, ok);
}

static napi_value js_sign(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  const unsigned char *priv, *msg, *id;
  size_t priv_len, msg_len, id_len;
  int is_default;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, "SM2_BAD_ARGS", "sign(privateKey, message[, id])");
    return NULL;
  }
  addon_state *st = get_state(env);
  if (st == NULL) {
    napi_throw_error(env, "SM2_NATIVE", "addon not initialised");
    return NULL;
  }
  if (!get_bytes(env, argv[0], &priv, &priv_len) || priv_len != 32) {
    napi_throw_type_error(env, "SM2_BAD_KEY", "SM2 private key must be a 32-byte Uint8Array");
    return NULL;
  }
  if (!get_bytes(env, argv[1], &msg, &msg_len)) {
    napi_throw_type_error(env, "SM2_BAD_ARGS", "message must be a Uint8Array");
    return NULL;
  }
  if (argc < 3) {
    id = (const unsigned char *)DEFAULT_ID;
    id_len = DEFAULT_ID_LEN;
    is_default = 1;
  } else if (!read_id(env, argv[2], &id, &id_len, &is_default)) {
    napi_throw_type_error(env, "SM2_BAD_ID", "SM2 ID must be a Uint8Array of at most 8191 bytes");
    return NULL;
  }

  unsigned char der[80], rs[64];
  size_t der_len = sizeof(der);
  int ok = 0;
  if (!priv_in_range(st, priv)) {
    ERR_clear_error();
    napi_throw_range_error(env, "SM2_BAD_KEY", "SM2 private key must be in [1, n-2]");
    return NULL;
  }
  if (is_default) {
    EVP_MD_CTX *tmpl = cached_sign_ctx(st, priv);
    if (tmpl != NULL && EVP_MD_CTX_copy_ex(st->work, tmpl)) {
      EVP_MD_CTX_set_flags(st->work, EVP_MD_CTX_FLAG_FINALISE);
      if (EVP_DigestSign(st->work, der, &der_len, msg, msg_len) > 0) ok = der_to_rs(der, der_len, rs);
    }
    EVP_MD_CTX_reset(st->work);
  } else {
    EVP_MD_CTX *mctx = sign_ctx_new(st, priv, id, id_len);
    if (mctx != NULL && EVP_DigestSign(mctx, der, &der_len, msg, msg_len) > 0) ok = der_to_rs(der, der_len, rs);
    EVP_MD_CTX_free(mctx);
  }
  ERR_clear_error();
  if (!ok) {
    napi_throw_error(env, "SM2_SIGN_FAILED", "OpenSSL SM2 signing failed");
    return NULL;
  }
  return make_u8(env, rs, 64);
}

static napi_value js_public_key(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  const unsigned char *priv;
  size_t priv_len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      !get_bytes(env, argv[0], &priv, &priv_len) || priv_len != 32) {
    napi_throw_type_error(env, "SM2_BAD_KEY", "SM2 private key must be a 32-byte Uint8Array");
    return NULL;
  }
  addon_state *st = get_state(env);
  unsigned char pub[65];
  if (st == NULL || !derive_pub(st, priv, pub)) {
    ERR_clear_error();
    napi_throw_range_error(env, "SM2_BAD_KEY", "SM2 private key must be in [1, n-2]");
    return NULL;
  }
  return make_u8(env, pub, 65);
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  addon_state *st = state_new();
  if (st == NULL) {
    ERR_clear_error();
    napi_throw_error(env, "SM2_NATIVE", "OpenSSL has no usable SM2 (EVP_PKEY \"SM2\" / NID_sm2)");
    return NULL;
  }
  if (napi_set_instance_data(env, st, state_finalize, NULL) != napi_ok) {
    state_free(st);
    return NULL;
  }
  napi_property_descriptor props[] = {
    {"verify", NULL, js_verify, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sign", NULL, js_sign, NULL, NULL, NULL, napi_enumerable, NULL},
    {"publicKey", NULL, js_public_key, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  psi_register(env, exports); /* psi.c: batch X25519 for ECDH-PSI */
  return exports;
}
