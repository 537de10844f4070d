// System OpenSSL libcrypto (Debian libssl-dev): HMAC for request signing, and X.509 for exchsim's
// self-signed certificate. Composite or function-like macros are wrapped here because Swift cannot
// import them.
#ifndef CRYPTOD_CLIBCRYPTO_SHIM_H
#define CRYPTOD_CLIBCRYPTO_SHIM_H
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/err.h>

static inline unsigned long cryptod_openssl_version_number(void) { return OPENSSL_VERSION_NUMBER; }
static inline long cryptod_bio_get_mem_data(BIO *bio, char **out) { return BIO_get_mem_data(bio, out); }

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* exchsim: a self-signed P-256 certificate for localhost, 127.0.0.1 and ::1, valid `days` days.
 * EVP_EC_gen is a variadic macro in OpenSSL 3, which Swift cannot call. On success returns 1 and
 * sets *cert_pem / *key_pem to malloc'd NUL-terminated PEM text (free() them); 0 on failure. */
static inline char *cryptod_bio_to_string(BIO *bio) {
    char *data = NULL;
    long length = BIO_get_mem_data(bio, &data);
    if (length <= 0) return NULL;
    char *out = (char *)malloc((size_t)length + 1);
    if (out == NULL) return NULL;
    memcpy(out, data, (size_t)length);
    out[length] = 0;
    return out;
}

static inline int cryptod_add_ext(X509 *cert, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL) return 0;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

static inline int cryptod_make_self_signed(char **cert_pem, char **key_pem, int days) {
    *cert_pem = NULL;
    *key_pem = NULL;
    int ok = 0;
    EVP_PKEY *key = EVP_EC_gen("prime256v1");
    X509 *cert = X509_new();
    BIO *cert_bio = BIO_new(BIO_s_mem());
    BIO *key_bio = BIO_new(BIO_s_mem());
    if (key == NULL || cert == NULL || cert_bio == NULL || key_bio == NULL) goto done;
    if (!X509_set_version(cert, 2)) goto done;
    ASN1_INTEGER_set(X509_get_serialNumber(cert), (long)time(NULL));
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), (long)days * 86400L);
    if (!X509_set_pubkey(cert, key)) goto done;
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"exchsim", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
    if (!X509_set_issuer_name(cert, name)) goto done;
    if (!cryptod_add_ext(cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1")) goto done;
    if (!cryptod_add_ext(cert, NID_basic_constraints, "critical,CA:TRUE")) goto done;
    if (!cryptod_add_ext(cert, NID_key_usage, "critical,digitalSignature,keyCertSign")) goto done;
    if (!cryptod_add_ext(cert, NID_ext_key_usage, "serverAuth")) goto done;
    if (!cryptod_add_ext(cert, NID_subject_key_identifier, "hash")) goto done;
    if (X509_sign(cert, key, EVP_sha256()) <= 0) goto done;
    if (!PEM_write_bio_X509(cert_bio, cert)) goto done;
    if (!PEM_write_bio_PrivateKey(key_bio, key, NULL, NULL, 0, NULL, NULL)) goto done;
    *cert_pem = cryptod_bio_to_string(cert_bio);
    *key_pem = cryptod_bio_to_string(key_bio);
    ok = (*cert_pem != NULL && *key_pem != NULL);
done:
    if (key_bio) BIO_free(key_bio);
    if (cert_bio) BIO_free(cert_bio);
    if (cert) X509_free(cert);
    if (key) EVP_PKEY_free(key);
    return ok;
}
#endif
